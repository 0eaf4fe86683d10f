package main

import "strings"

// nomadLongFlags are the job and node verbs' long flags that Nomad users
// type with one dash (`job stop -purge web`, `job run -detach`, `-var x=1`, `-var-file f.hcl`,
// `node drain -deadline 5m n1`, `node eligibility -disable n1`), per verb.
var nomadLongFlags = map[string]map[string]bool{
	"job": {"purge": true, "detach": true, "var": true, "var-file": true, "task": true, "follow": true,
		"tail": true, "timeout": true, "version": true, "objects": true, "output": true, "meta": true},
	"node": {"deadline": true, "enable": true, "disable": true},
}

// nomadStyleArgs rewrites `-name` and `-name=value` to `--name…` for the
// flags above, in `barque job …` and `barque node …` command lines only:
// pflag reads a single dash as a run of shorthand flags.
func nomadStyleArgs(args []string) []string {
	if len(args) == 0 || nomadLongFlags[args[0]] == nil {
		return args
	}
	flags := nomadLongFlags[args[0]]
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		if !strings.HasPrefix(a, "-") || strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if flags[name] {
			out[i] = "-" + a
		}
	}
	return out
}
