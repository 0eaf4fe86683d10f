package placement

import "math"

// ResourceScoreName names the scorer that ranks nodes by how full they
// would be with the pod.
const ResourceScoreName = "ResourceScore"

// ResourceScore is Nomad's fit score over cpu and memory. With the pod
// placed, each resource's free fraction f gives 10^f (1 for a full node, 10
// for an empty one); binpack scores 20 minus their sum, preferring full
// nodes, and spread scores the sum minus 2, preferring empty ones. Both
// range over 0-18, scaled here to 0-MaxScore. A resource the node does not
// limit counts as free.
type ResourceScore struct {
	spread bool
}

var _ Scorer = ResourceScore{}

// NewResourceScore returns the scorer for a strategy (binpack unless
// "spread").
func NewResourceScore(strategy string) ResourceScore {
	return ResourceScore{spread: strategy == StrategySpread}
}

// Name is the scorer's name.
func (ResourceScore) Name() string { return ResourceScoreName }

// Weight is the scorer's weight in the sum (Kubernetes gives resources 1).
func (ResourceScore) Weight() int64 { return 1 }

// Prepare returns the score function; it applies to every pod.
func (s ResourceScore) Prepare(_ *cluster, p *podInfo) ScoreFunc {
	return func(n *nodeInfo) int64 {
		total := pow10(freeFraction(n.cpu+p.cpu, n.allocCPU)) +
			pow10(freeFraction(n.mem+p.mem, n.allocMem))
		raw := 20 - total
		if s.spread {
			raw = total - 2
		}
		return int64(math.Round(raw * MaxScore / 18))
	}
}

func freeFraction(used, capacity int64) float64 {
	if capacity <= 0 {
		return 1
	}
	return min(max(1-float64(used)/float64(capacity), 0), 1)
}

// pow10Table holds 10^f for f in thousandths: the score is computed for
// every sampled node of every pod, and math.Pow was a third of the scan.
// A thousandth of free capacity is finer than the 0-100 score can show.
var pow10Table = func() (t [1001]float64) {
	for i := range t {
		t[i] = math.Pow(10, float64(i)/1000)
	}
	return t
}()

func pow10(f float64) float64 { return pow10Table[int(f*1000+0.5)] }
