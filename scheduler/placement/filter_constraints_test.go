package placement

import (
	"strings"
	"testing"
)

func TestConstraints(t *testing.T) {
	ns := nodes(
		node("a").attr("kernel.name", "linux").attr("kernel.version", "5.15.0").attr("cpu.numcores", "8").
			attr("features", "avx,sse4").meta("rack", "r1").dc("dc1", "batch"),
		node("b").attr("kernel.name", "darwin").attr("kernel.version", "6.1.2").attr("cpu.numcores", "16").
			attr("features", "sse4").meta("rack", "r1").dc("dc2", ""),
		node("c").attr("kernel.name", "linux").attr("kernel.version", "4.19.0").attr("cpu.numcores", "2").
			meta("rack", "r2").dc("dc1", "batch"))
	with := func(json string) *pb { return pod("p").annotate(AnnotationConstraints, json) }
	fail := func(desc string) string { return "node(s) didn't satisfy constraint " + desc }
	one := func(attr, op, value string) string {
		return `[{"attribute":"` + attr + `","operator":"` + op + `","value":"` + value + `"}]`
	}
	all := func(a, b, c string) map[string]string { return map[string]string{"a": a, "b": b, "c": c} }
	cases := []filterCase{
		{name: "none skips", nodes: ns, pod: pod("p").obj(), want: all("", "", "")},
		{name: "=", nodes: ns, pod: with(one("${attr.kernel.name}", "=", "linux")).obj(),
			want: all("", fail("${attr.kernel.name} = linux"), "")},
		{name: "!= holds when missing", nodes: ns, pod: with(one("${attr.nope}", "!=", "x")).obj(),
			want: all("", "", "")},
		{name: "datacenter and class", nodes: ns, pod: with(`[{"attribute":"${node.datacenter}","operator":"=","value":"dc1"},
			{"attribute":"${node.class}","operator":"=","value":"batch"}]`).obj(),
			want: all("", fail("${node.datacenter} = dc1"), "")},
		{name: "unique name", nodes: ns, pod: with(one("${node.unique.name}", "!=", "a")).obj(),
			want: all(fail("${node.unique.name} != a"), "", "")},
		{name: "numeric order", nodes: ns, pod: with(one("${attr.cpu.numcores}", ">=", "8")).obj(),
			want: all("", "", fail("${attr.cpu.numcores} >= 8"))},
		{name: "regexp", nodes: ns, pod: with(one("${meta.rack}", "regexp", "^r[2-9]$")).obj(),
			want: all(fail("${meta.rack} regexp ^r[2-9]$"), fail("${meta.rack} regexp ^r[2-9]$"), "")},
		{name: "version range", nodes: ns, pod: with(one("${attr.kernel.version}", "version", ">= 5.0, < 6")).obj(),
			want: all("", fail("${attr.kernel.version} version >= 5.0, < 6"), fail("${attr.kernel.version} version >= 5.0, < 6"))},
		{name: "semver", nodes: ns, pod: with(one("${attr.kernel.version}", "semver", "~> 6.1")).obj(),
			want: all(fail("${attr.kernel.version} semver ~> 6.1"), "", fail("${attr.kernel.version} semver ~> 6.1"))},
		{name: "set_contains", nodes: ns, pod: with(one("${attr.features}", "set_contains", "avx,sse4")).obj(),
			want: all("", fail("${attr.features} set_contains_all avx,sse4"), fail("${attr.features} set_contains_all avx,sse4"))},
		{name: "is_set and is_not_set", nodes: ns, pod: with(`[{"attribute":"${attr.features}","operator":"is_set"},
			{"attribute":"${node.class}","operator":"=","value":""}]`).obj(),
			want: all(fail("${node.class} ="), "", fail("${attr.features} is_set"))},
		{name: "distinct_hosts", nodes: ns, existing: pods(pod("x").owner("rs1").on("a"), pod("y").owner("rs2").on("b")),
			pod:  with(`[{"operator":"distinct_hosts"}]`).owner("rs1").obj(),
			want: all(fail("distinct_hosts"), "", "")},
		{name: "distinct_property", nodes: ns, existing: pods(pod("x").owner("rs1").on("a")),
			pod:  with(one("${meta.rack}", "distinct_property", "")).owner("rs1").obj(),
			want: all(fail("${meta.rack} distinct_property"), fail("${meta.rack} distinct_property"), "")},
		{name: "distinct_property with a count", nodes: ns, existing: pods(pod("x").owner("rs1").on("a")),
			pod:  with(one("${meta.rack}", "distinct_property", "2")).owner("rs1").obj(),
			want: all("", "", "")},
		{name: "no owner: distinct holds", nodes: ns, existing: pods(pod("x").on("a")),
			pod: with(`[{"operator":"distinct_hosts"}]`).obj(), want: all("", "", "")},
	}
	runFilterCases(t, Constraints{}, cases)
}

func TestConstraintsInvalid(t *testing.T) {
	for _, text := range []string{`not json`, `[{"attribute":"${attr.x}","operator":"~~"}]`,
		`[{"attribute":"${attr.x}","operator":"regexp","value":"("}]`} {
		t.Run(text, func(t *testing.T) {
			got := filterResults(Constraints{}, nodes(node("a")), nil,
				pod("p").annotate(AnnotationConstraints, text).obj())
			if !strings.HasPrefix(got["a"], "invalid") {
				t.Errorf("got %q, want an invalid-constraint reason", got["a"])
			}
		})
	}
}
