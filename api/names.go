package api

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// The name and label rules below are Kubernetes' (apimachinery's
// validation package), with its messages, so that users get the same
// answer from Barque that kubectl would give them.

const (
	dns1123LabelMaxLen     = 63
	dns1123SubdomainMaxLen = 253
	qualifiedNameMaxLen    = 63
	labelValueMaxLen       = 63
)

// IsDNS1123Label checks a name used as a DNS label (namespaces, services,
// container names). It returns the problems, none if valid.
func IsDNS1123Label(v string) []string {
	var errs []string
	if len(v) > dns1123LabelMaxLen {
		errs = append(errs, fmt.Sprintf("must be no more than %d characters", dns1123LabelMaxLen))
	}
	if !matchDNS1123Label(v) {
		errs = append(errs, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
	}
	return errs
}

// IsDNS1123Subdomain checks a name used as a DNS subdomain (most objects).
func IsDNS1123Subdomain(v string) []string {
	var errs []string
	if len(v) > dns1123SubdomainMaxLen {
		errs = append(errs, fmt.Sprintf("must be no more than %d characters", dns1123SubdomainMaxLen))
	}
	if !matchDNS1123Subdomain(v) {
		errs = append(errs, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
	}
	return errs
}

// IsQualifiedName checks a label or annotation key: an optional DNS
// subdomain prefix and '/', then a name of at most 63 characters.
func IsQualifiedName(v string) []string {
	var errs []string
	parts := strings.Split(v, "/")
	var name string
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		prefix := parts[0]
		name = parts[1]
		if prefix == "" {
			errs = append(errs, "prefix part must be non-empty")
		} else {
			for _, e := range IsDNS1123Subdomain(prefix) {
				errs = append(errs, "prefix part "+e)
			}
		}
	default:
		return []string{"a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"}
	}
	if name == "" {
		errs = append(errs, "name part must be non-empty")
	} else if len(name) > qualifiedNameMaxLen {
		errs = append(errs, fmt.Sprintf("name part must be no more than %d characters", qualifiedNameMaxLen))
	}
	if name != "" && !matchQualifiedName(name) {
		errs = append(errs, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
	}
	return errs
}

// IsValidLabelValue checks a label value: empty, or at most 63 characters
// that start and end alphanumeric.
func IsValidLabelValue(v string) []string {
	var errs []string
	if len(v) > labelValueMaxLen {
		errs = append(errs, fmt.Sprintf("must be no more than %d characters", labelValueMaxLen))
	}
	if !(v == "" || matchQualifiedName(v)) {
		errs = append(errs, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
	}
	return errs
}

// IsConfigMapKey checks a ConfigMap or Secret data key.
func IsConfigMapKey(v string) []string {
	var errs []string
	if len(v) > dns1123SubdomainMaxLen {
		errs = append(errs, fmt.Sprintf("must be no more than %d characters", dns1123SubdomainMaxLen))
	}
	if !matchConfigKey(v) {
		errs = append(errs, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
	}
	switch {
	case v == ".":
		errs = append(errs, "must not be '.'")
	case v == "..":
		errs = append(errs, "must not be '..'")
	case strings.HasPrefix(v, ".."):
		errs = append(errs, "must not start with '..'")
	}
	return errs
}

var dns1035LabelRE = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// IsDNS1035Label checks a service name: a DNS label that starts with a
// letter, so that it can be a DNS name on its own.
func IsDNS1035Label(v string) []string {
	var errs []string
	if len(v) > dns1123LabelMaxLen {
		errs = append(errs, fmt.Sprintf("must be no more than %d characters", dns1123LabelMaxLen))
	}
	if !dns1035LabelRE.MatchString(v) {
		errs = append(errs, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
	}
	return errs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var portNameRE = regexp.MustCompile(`^[-a-z0-9]+$`)
var hasLetterRE = regexp.MustCompile(`[a-z]`)

// IsPortName checks an IANA service name, which container ports and
// service targetPorts use: 1-15 lowercase alphanumerics or '-', with a
// letter, no leading, trailing or doubled '-'.
func IsPortName(v string) []string {
	var errs []string
	if len(v) > 15 {
		errs = append(errs, "must be no more than 15 characters")
	}
	if !portNameRE.MatchString(v) {
		errs = append(errs, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
	}
	if strings.Contains(v, "--") {
		errs = append(errs, "must not contain consecutive hyphens")
	}
	if v != "" && (v[0] == '-' || v[len(v)-1] == '-') {
		errs = append(errs, "must not begin or end with a hyphen")
	}
	if !hasLetterRE.MatchString(v) {
		errs = append(errs, "must contain at least one letter (a-z)")
	}
	return errs
}

var envVarNameRE = regexp.MustCompile(`^[-._a-zA-Z][-._a-zA-Z0-9]*$`)

// IsEnvVarName checks an environment variable name.
func IsEnvVarName(v string) []string {
	if !envVarNameRE.MatchString(v) {
		return []string{"a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
