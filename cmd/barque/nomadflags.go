package main

import "strings"

// nomadLongFlags are the job verbs' long flags that Nomad users type with
// one dash (`job stop -purge web`, `job run -detach`, `-var x=1`).
var nomadLongFlags = map[string]bool{
	"purge": true, "detach": true, "var": true, "task": true, "follow": true,
	"tail": true, "timeout": true, "version": true, "objects": true, "output": true,
}

// nomadStyleArgs rewrites `-name` and `-name=value` to `--name…` for the
// flags above, in `barque job …` command lines only: pflag reads a single
// dash as a run of shorthand flags.
func nomadStyleArgs(args []string) []string {
	if len(args) == 0 || args[0] != "job" {
		return args
	}
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
		if nomadLongFlags[name] {
			out[i] = "-" + a
		}
	}
	return out
}
