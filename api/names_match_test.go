package api

import (
	"regexp"
	"testing"
)

// Kubernetes' regular expressions for the rules names_match.go implements.
var kubernetesNameRules = []struct {
	name  string
	re    *regexp.Regexp
	match func(string) bool
}{
	{"dns1123Label", regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`), matchDNS1123Label},
	{"dns1123Subdomain", regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`), matchDNS1123Subdomain},
	{"qualifiedName", regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`), matchQualifiedName},
	{"labelValue", regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`), func(v string) bool { return v == "" || matchQualifiedName(v) }},
	{"configKey", regexp.MustCompile(`^[-._a-zA-Z0-9]+$`), matchConfigKey},
}

var nameSamples = []string{"", "a", "A", "0", "-", ".", "_", "a-b", "a--b", "-a", "a-", "a.b", "a..b", ".a", "a.",
	"my-app.example.com", "My.App", "a_b", "a b", "a\n", "a\nb", "é", "x/y", "a.-b", "a-.b", "ab12-cd.ef-3", "k8s.io_x"}

func TestNameMatchersAgreeWithKubernetesRegexps(t *testing.T) {
	for _, s := range nameSamples {
		checkNameRules(t, s)
	}
}

func FuzzNameMatchers(f *testing.F) {
	for _, s := range nameSamples {
		f.Add(s)
	}
	f.Fuzz(checkNameRules)
}

func checkNameRules(t *testing.T, s string) {
	for _, r := range kubernetesNameRules {
		if got, want := r.match(s), r.re.MatchString(s); got != want {
			t.Fatalf("%s(%q) = %v, the regexp says %v", r.name, s, got, want)
		}
	}
}
