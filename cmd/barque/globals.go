package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// globalOpts are the flags every CLI verb shares.
var globalOpts struct {
	address   string
	namespace string
	// namespaceSet: -n was given, so manifests naming another namespace
	// are an error rather than silently moved.
	namespaceSet bool
}

func addGlobalFlags(root *cobra.Command) {
	root.PersistentFlags().StringVar(&globalOpts.address, "address", "",
		"comma-separated server API URLs (default $BARQUE_ADDR, then the config file, then http://127.0.0.1:7080)")
	root.PersistentFlags().StringVarP(&globalOpts.namespace, "namespace", "n", "",
		`namespace for this request (default from the config file, then "default")`)
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		globalOpts.namespaceSet = cmd.Flags().Changed("namespace")
	}
}

// serverAddresses resolves the API addresses from --address, $BARQUE_ADDR,
// the config file, or the default.
func serverAddresses() []string {
	s := globalOpts.address
	if s == "" {
		s = os.Getenv("BARQUE_ADDR")
	}
	if s == "" {
		s = strings.Join(loadCLIConfig().addresses, ",")
	}
	if s == "" {
		s = "http://127.0.0.1:7080"
	}
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			if !strings.Contains(a, "://") {
				a = "http://" + a
			}
			out = append(out, a)
		}
	}
	return out
}

// currentNamespace is -n, else the config file's namespace, else "default".
func currentNamespace() string {
	if globalOpts.namespace != "" {
		return globalOpts.namespace
	}
	if ns := loadCLIConfig().namespace; ns != "" {
		return ns
	}
	return "default"
}
