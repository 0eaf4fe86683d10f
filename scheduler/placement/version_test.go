package placement

import "testing"

func TestVersionConstraint(t *testing.T) {
	cases := []struct {
		constraint, version string
		strict, want        bool
	}{
		{">= 1.2, < 2", "1.2.0", false, true},
		{">= 1.2, < 2", "1.10", false, true},
		{">= 1.2, < 2", "2.0.0", false, false},
		{">= 1.2, < 2", "1.1.9", false, false},
		{"= 1.2", "1.2.0", false, true},
		{"1.2", "v1.2.0+build5", false, true},
		{"!= 1.2", "1.2.1", false, true},
		{"~> 1.2", "1.9.0", false, true},
		{"~> 1.2", "2.0.0", false, false},
		{"~> 1.2.3", "1.2.9", false, true},
		{"~> 1.2.3", "1.3.0", false, false},
		{">= 1.0", "1.5.0-beta1", false, false}, // go-version: prerelease needs a prerelease term
		{">= 1.5.0-alpha", "1.5.0-beta1", false, true},
		{">= 1.0", "1.5.0-beta1", true, true}, // semver compares plainly
		{"< 1.5.0", "1.5.0-rc.1", true, true},
		{"> 1.0.0-rc.2", "1.0.0-rc.10", true, true},
		{">= 1.0", "1.5", true, false}, // semver needs three segments
		{">= 1.0.0", "linux", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.constraint+" "+tc.version, func(t *testing.T) {
			vc, err := parseVersionConstraint(tc.constraint, tc.strict)
			if err != nil {
				t.Fatal(err)
			}
			if got := vc.check(tc.version); got != tc.want {
				t.Errorf("check = %v, want %v", got, tc.want)
			}
		})
	}
}
