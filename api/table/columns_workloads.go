package table

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The columns of the workload kinds beyond Deployments and ReplicaSets,
// of Events and of Endpoints, as Kubernetes' printers show them.
func init() {
	kindColumns["StatefulSet"] = []Column{
		{Name: "Ready", Value: func(o Fields) string {
			return fmt.Sprintf("%d/%d", o.Num("status", "readyReplicas"), replicasOf(o))
		}},
		ageColumn,
	}
	kindColumns["DaemonSet"] = []Column{
		{Name: "Desired", Value: func(o Fields) string { return Itoa(o.Num("status", "desiredNumberScheduled")) }},
		{Name: "Current", Value: func(o Fields) string { return Itoa(o.Num("status", "currentNumberScheduled")) }},
		{Name: "Ready", Value: func(o Fields) string { return Itoa(o.Num("status", "numberReady")) }},
		{Name: "Up-to-date", Value: func(o Fields) string { return Itoa(o.Num("status", "updatedNumberScheduled")) }},
		{Name: "Available", Value: func(o Fields) string { return Itoa(o.Num("status", "numberAvailable")) }},
		{Name: "Node Selector", Value: func(o Fields) string {
			return OrNone(keyValues(o.Dict("spec", "template", "spec", "nodeSelector")))
		}},
		ageColumn,
	}
	kindColumns["Job"] = []Column{
		{Name: "Status", Value: jobStatus},
		{Name: "Completions", Value: jobCompletions},
		{Name: "Duration", Timed: jobDuration},
		ageColumn,
	}
	kindColumns["CronJob"] = []Column{
		{Name: "Schedule", Value: func(o Fields) string { return o.Str("spec", "schedule") }},
		{Name: "Timezone", Value: func(o Fields) string { return OrNone(o.Str("spec", "timeZone")) }},
		{Name: "Suspend", Value: func(o Fields) string {
			if b, _ := o.Get("spec", "suspend").(bool); b {
				return "True"
			}
			return "False"
		}},
		{Name: "Active", Value: func(o Fields) string { return Itoa(int64(len(o.List("status", "active")))) }},
		{Name: "Last Schedule", Timed: func(o Fields, now time.Time) string {
			if ts := o.Str("status", "lastScheduleTime"); ts != "" {
				return Age(ts, now)
			}
			return "<none>"
		}},
		ageColumn,
	}
	kindColumns["Event"] = []Column{
		{Name: "Last Seen", Timed: eventLastSeen},
		{Name: "Type", Value: func(o Fields) string { return o.Str("type") }},
		{Name: "Reason", Value: func(o Fields) string { return o.Str("reason") }},
		{Name: "Object", Value: func(o Fields) string {
			return strings.ToLower(o.Str("involvedObject", "kind")) + "/" + o.Str("involvedObject", "name")
		}},
		{Name: "Message", Value: func(o Fields) string { return strings.TrimSpace(o.Str("message")) }},
	}
	kindColumns["Endpoints"] = []Column{
		{Name: "Endpoints", Value: endpointsList},
		ageColumn,
	}
}

// replicasOf is spec.replicas, 1 when unset (the default).
func replicasOf(o Fields) int64 {
	if o.Get("spec", "replicas") == nil {
		return 1
	}
	return o.Num("spec", "replicas")
}

func keyValues(m map[string]any) string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprint(k, "=", v))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// jobStatus is kubectl's STATUS of a Job: its finished condition, else
// Suspended or Running.
func jobStatus(o Fields) string {
	for _, want := range []string{"Complete", "Failed", "Suspended"} {
		for _, c := range o.List("status", "conditions") {
			if c := AsFields(c); c.Str("type") == want && c.Str("status") == "True" {
				return want
			}
		}
	}
	return "Running"
}

// jobCompletions is "succeeded/completions", or "succeeded/1 of
// parallelism" for a Job without completions.
func jobCompletions(o Fields) string {
	succeeded := o.Num("status", "succeeded")
	if o.Get("spec", "completions") != nil {
		return fmt.Sprintf("%d/%d", succeeded, o.Num("spec", "completions"))
	}
	if p := o.Num("spec", "parallelism"); p > 1 {
		return fmt.Sprintf("%d/1 of %d", succeeded, p)
	}
	return fmt.Sprintf("%d/1", succeeded)
}

// jobDuration is from the start to the completion, or to now while it runs.
func jobDuration(o Fields, now time.Time) string {
	start, err := time.Parse(time.RFC3339, o.Str("status", "startTime"))
	if err != nil {
		return ""
	}
	end := now
	if t, err := time.Parse(time.RFC3339, o.Str("status", "completionTime")); err == nil {
		end = t
	}
	return HumanDuration(end.Sub(start))
}

// eventLastSeen is the age of the event's last occurrence.
func eventLastSeen(o Fields, now time.Time) string {
	for _, f := range []string{"lastTimestamp", "eventTime", "firstTimestamp"} {
		if ts := o.Str(f); ts != "" {
			return Age(ts, now)
		}
	}
	return Age(o.Str("metadata", "creationTimestamp"), now)
}

// endpointsList is "ip:port,…", three at most then "+ N more...", as
// kubectl shows them.
func endpointsList(o Fields) string {
	var all []string
	for _, s := range o.List("subsets") {
		s := AsFields(s)
		ports := s.List("ports")
		for _, a := range s.List("addresses") {
			ip := AsFields(a).Str("ip")
			if len(ports) == 0 {
				all = append(all, ip)
				continue
			}
			for _, p := range ports {
				all = append(all, fmt.Sprintf("%s:%d", ip, AsFields(p).Num("port")))
			}
		}
	}
	if len(all) > 3 {
		return strings.Join(all[:3], ",") + fmt.Sprintf(" + %d more...", len(all)-3)
	}
	return OrNone(strings.Join(all, ","))
}
