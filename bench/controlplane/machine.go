package controlplane

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine is what the figures depend on beside the code: CPU count and
// model, printed next to every result.
type Machine struct {
	NProc    int    `json:"nproc"`
	CPUModel string `json:"cpu_model"`
	Kernel   string `json:"kernel,omitempty"`
}

// ReadMachine gathers machine facts from /proc.
func ReadMachine() Machine {
	m := Machine{NProc: runtime.NumCPU()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// CPUStat is one sample of the aggregate "cpu" line of /proc/stat.
type CPUStat struct {
	Total, Steal uint64
}

// ReadCPUStat samples /proc/stat. Steal matters here because the machine's
// CPU is shared with other tenants and throughput moves with it.
func ReadCPUStat() (CPUStat, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return CPUStat{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 9 || fs[0] != "cpu" {
			continue
		}
		var s CPUStat
		// user nice system idle iowait irq softirq steal [guest guest_nice]:
		// guest time is already counted in user, so only the first 8 add up.
		for i := 1; i <= 8; i++ {
			v, _ := strconv.ParseUint(fs[i], 10, 64)
			s.Total += v
			if i == 8 {
				s.Steal = v
			}
		}
		return s, nil
	}
	return CPUStat{}, fmt.Errorf("no cpu line in /proc/stat")
}

// StealMeter measures steal % over an interval.
type StealMeter struct{ start CPUStat }

// StartSteal begins a measurement.
func StartSteal() StealMeter {
	s, _ := ReadCPUStat()
	return StealMeter{start: s}
}

// Percent returns steal as a share of all CPU time since StartSteal.
func (m StealMeter) Percent() float64 {
	now, err := ReadCPUStat()
	if err != nil || now.Total <= m.start.Total {
		return 0
	}
	return 100 * float64(now.Steal-m.start.Steal) / float64(now.Total-m.start.Total)
}
