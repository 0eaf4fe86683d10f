package placement

import (
	"fmt"
	"sort"
	"strings"
)

// explainPod renders a PreFilter's rejection, as Kubernetes renders one:
// "0/3 nodes are available: <reason>."
func explainPod(numNodes int, st *Status) string {
	return fmt.Sprintf("0/%d nodes are available: %s.", numNodes, strings.Join(st.Reasons, ", "))
}

// explain renders why no node fits, as Kubernetes' FitError does:
// "0/5 nodes are available: 3 Insufficient memory, 2 node(s) were not
// ready." A node rejected for two reasons (short of cpu and memory) counts
// in both. Reasons are sorted by count, most frequent first, then by text.
func explain(numNodes int, rejected []*Status) string {
	msg := fmt.Sprintf("0/%d nodes are available", numNodes)
	counts := map[string]int{}
	for _, st := range rejected {
		for _, r := range st.Reasons {
			counts[r]++
		}
	}
	if len(counts) == 0 {
		return msg + "."
	}
	reasons := make([]string, 0, len(counts))
	for r := range counts {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		ci, cj := counts[reasons[i]], counts[reasons[j]]
		if ci != cj {
			return ci > cj
		}
		return reasons[i] < reasons[j]
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%d %s", counts[r], r)
	}
	return msg + ": " + strings.Join(parts, ", ") + "."
}
