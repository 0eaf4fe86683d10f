package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	cp "github.com/barque-io/barque/bench/controlplane"
)

// report is everything one run measured; it is printed as tables and, with
// -json, written as JSON.
type report struct {
	Time       time.Time             `json:"time"`
	Machine    cp.Machine            `json:"machine"`
	Config     reportConfig          `json:"config"`
	StealPct   float64               `json:"steal_pct_run"`
	Throughput []cp.ThroughputResult `json:"throughput"`
	Failover   []cp.FailoverResult   `json:"failover"`
	Memory     []cp.MemoryResult     `json:"memory"`
	Ratios     []ratio               `json:"ratios_barque_over_etcd"`
	Errors     []string              `json:"errors,omitempty"`
}

type reportConfig struct {
	Short          bool    `json:"short"`
	DurationS      float64 `json:"throughput_seconds_per_cell"`
	Clients        []int   `json:"clients"`
	Kills          int     `json:"kills"`
	Objects        int     `json:"memory_objects"`
	ValueBytes     int     `json:"value_bytes"`
	MemValueBytes  int     `json:"memory_value_bytes"`
	FailTickMs     float64 `json:"failover_tick_ms"`
	FailTimeoutMs  float64 `json:"failover_write_timeout_ms"`
	Only           string  `json:"only,omitempty"`
	MemoryLoaders  int     `json:"memory_clients"`
	EtcdMemberArgs string  `json:"etcd_defaults"`
}

// ratio is one figure of Barque divided by etcd's (>1 means Barque's number
// is larger: better for ops/s, worse for latency and memory).
type ratio struct {
	Metric string  `json:"metric"`
	Barque float64 `json:"barque"`
	Etcd   float64 `json:"etcd"`
	Ratio  float64 `json:"ratio"`
}

func newReport(o options) *report {
	return &report{
		Time:    time.Now().UTC(),
		Machine: cp.ReadMachine(),
		Config: reportConfig{Short: o.short, DurationS: o.duration.Seconds(), Clients: o.clients,
			Kills: o.kills, Objects: o.objects, ValueBytes: smallValue, MemValueBytes: memValue,
			FailTickMs: float64(o.writeTick) / 1e6, FailTimeoutMs: float64(o.writeLimit) / 1e6,
			Only: o.only, MemoryLoaders: memoryClients,
			EtcdMemberArgs: "heartbeat 100 ms, election 1000 ms (etcd defaults)"},
	}
}

func (r *report) addRatio(metric string, barque, etcd float64) {
	if etcd == 0 || barque == 0 {
		return
	}
	r.Ratios = append(r.Ratios, ratio{Metric: metric, Barque: barque, Etcd: etcd, Ratio: barque / etcd})
}

func (r *report) computeRatios() {
	r.Ratios = nil
	for _, t := range r.Throughput {
		if t.System != "etcd" {
			continue
		}
		c, rt := t.Clients, t.Routing
		e, b := &t, findTput(r.Throughput, "barque", c, rt)
		name := fmt.Sprintf("throughput c=%d", c)
		if rt != cp.RoutePinned {
			name += ", " + string(rt)
		}
		if b != nil {
			r.addRatio(name+" ops/s", b.OpsPerSec, e.OpsPerSec)
			r.addRatio(name+" p50 ms", b.Latency.P50, e.Latency.P50)
			r.addRatio(name+" p99 ms", b.Latency.P99, e.Latency.P99)
			r.addRatio(name+" server CPU us/op", b.ServerCPUPerOpUs, e.ServerCPUPerOpUs)
		}
		if h := findTput(r.Throughput, "barque-http", c, rt); h != nil {
			r.addRatio(name+" ops/s, one HTTP request per create", h.OpsPerSec, e.OpsPerSec)
		}
	}
	if e, b := findFail(r.Failover, "etcd"), findFail(r.Failover, "barque"); e != nil && b != nil {
		r.addRatio("failover window p50 ms", b.Window.P50, e.Window.P50)
		r.addRatio("failover window p99 ms", b.Window.P99, e.Window.P99)
	}
	if e, b := findMem(r.Memory, "etcd"), findMem(r.Memory, "barque"); e != nil && b != nil {
		r.addRatio("memory max RSS MiB", b.MaxRSSMiB, e.MaxRSSMiB)
	}
}

func findTput(rs []cp.ThroughputResult, sys string, clients int, rt cp.Routing) *cp.ThroughputResult {
	for i := range rs {
		if rs[i].System == sys && rs[i].Clients == clients && rs[i].Routing == rt {
			return &rs[i]
		}
	}
	return nil
}

func findFail(rs []cp.FailoverResult, sys string) *cp.FailoverResult {
	for i := range rs {
		if rs[i].System == sys {
			return &rs[i]
		}
	}
	return nil
}

func findMem(rs []cp.MemoryResult, sys string) *cp.MemoryResult {
	for i := range rs {
		if rs[i].System == sys {
			return &rs[i]
		}
	}
	return nil
}

// lostError fails the run when any acknowledged write went missing.
func (r *report) lostError() error {
	for _, f := range r.Failover {
		if f.Lost != 0 {
			return fmt.Errorf("%s lost %d acknowledged writes", f.System, f.Lost)
		}
	}
	return nil
}

func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func (r *report) print(out io.Writer) {
	fmt.Fprintf(out, "\nControl plane: Barque vs etcd 3.4, 3 members each on 127.0.0.1 (%s)\n",
		r.Time.Format(time.RFC3339))
	fmt.Fprintf(out, "machine: nproc %d, %s, kernel %s; steal over the run %.1f %%\n",
		r.Machine.NProc, r.Machine.CPUModel, r.Machine.Kernel, r.StealPct)
	r.printThroughput(out)
	r.printFailover(out)
	r.printMemory(out)
	r.printRatios(out)
	for _, e := range r.Errors {
		fmt.Fprintf(out, "ERROR: %s\n", e)
	}
}

func table(out io.Writer, title, header string) *tabwriter.Writer {
	return tableFlags(out, title, header, tabwriter.AlignRight)
}

func tableFlags(out io.Writer, title, header string, flags uint) *tabwriter.Writer {
	fmt.Fprintf(out, "\n%s\n", title)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', flags)
	fmt.Fprintln(tw, header)
	return tw
}

func (r *report) printThroughput(out io.Writer) {
	if len(r.Throughput) == 0 {
		return
	}
	tw := table(out, fmt.Sprintf("1. Throughput: create a new object, %d B value, %.0f s per cell; routing pinned: client c writes to member (leader+c) mod 3; leader: every client to the leader; own: each system's own client given all members",
		r.Config.ValueBytes, r.Config.DurationS),
		"clients\trouting\tsystem\tops/s\tp50 ms\tp99 ms\tserver CPU us/op\terrors\tsteal %\t")
	for _, t := range r.Throughput {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.0f\t%.2f\t%.2f\t%.0f\t%d\t%.1f\t\n", t.Clients, t.Routing, t.System,
			t.OpsPerSec, t.Latency.P50, t.Latency.P99, t.ServerCPUPerOpUs, t.Errors, t.StealPct)
	}
	tw.Flush()
}

func (r *report) printFailover(out io.Writer) {
	if len(r.Failover) == 0 {
		return
	}
	tw := table(out, fmt.Sprintf("2. Failover: leader SIGKILL under one write every %.0f ms; window = kill to first successful write issued after it",
		r.Config.FailTickMs),
		"system\tkills\tp50 ms\tp99 ms\tmin ms\tmax ms\tunmeasured\tacked\tfailed\tlost\tmissing/member\tsteal %\t")
	for _, f := range r.Failover {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%d\t%d\t%d\t%d\t%s\t%.1f\t\n", f.System, f.Kills,
			f.Window.P50, f.Window.P99, f.Window.Min, f.Window.Max, f.Unmeasured, f.Acked, f.Failed,
			f.Lost, ints(f.MissingPerMem), f.StealPct)
	}
	tw.Flush()
}

func (r *report) printMemory(out io.Writer) {
	if len(r.Memory) == 0 {
		return
	}
	tw := table(out, fmt.Sprintf("3. Memory: RSS per member after loading %d objects of %d B with %d clients, at load end and %s later",
		r.Config.Objects, r.Config.MemValueBytes, r.Config.MemoryLoaders, cp.MemorySettle),
		"system\tload s\terrors\tidle RSS MiB\tat load end MiB\tloaded RSS MiB (per member)\tmax MiB\tsteal %\t")
	for _, m := range r.Memory {
		fmt.Fprintf(tw, "%s\t%.1f\t%d\t%s\t%s\t%s\t%.0f\t%.1f\t\n", m.System, m.LoadSeconds, m.Errors,
			floats(m.IdleRSSMiB), floats(m.LoadEndRSSMiB), floats(m.RSSMiB), m.MaxRSSMiB, m.StealPct)
	}
	tw.Flush()
}

func (r *report) printRatios(out io.Writer) {
	if len(r.Ratios) == 0 {
		return
	}
	tw := tableFlags(out, "Ratio Barque/etcd (ops/s: higher is better; ms, CPU, MiB: lower is better)",
		"metric\tbarque\tetcd\tratio\t", 0)
	for _, q := range r.Ratios {
		fmt.Fprintf(tw, "%s\t%.4g\t%.4g\t%.3gx\t\n", q.Metric, q.Barque, q.Etcd, q.Ratio)
	}
	tw.Flush()
}

func floats(fs []float64) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = fmt.Sprintf("%.0f", f)
	}
	return strings.Join(s, "/")
}

func ints(is []int) string {
	s := make([]string, len(is))
	for i, n := range is {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, "/")
}
