package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cliConfig is the CLI's config file, ~/.barque/config or $BARQUE_CONFIG.
// It is a tiny subset of HCL so that it reads like the server's config:
//
//	address   = "http://10.0.0.1:7080"         # or a list:
//	addresses = ["http://10.0.0.1:7080", "http://10.0.0.2:7080"]
//	namespace = "web"
type cliConfig struct {
	addresses []string
	namespace string
}

func cliConfigPath() string {
	if p := os.Getenv("BARQUE_CONFIG"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".barque", "config")
}

// loadCLIConfig reads the config file; a missing file is an empty config,
// and a broken one is reported on stderr but does not stop the CLI, so that
// --address still works.
func loadCLIConfig() cliConfig {
	p := cliConfigPath()
	data, err := os.ReadFile(p)
	if err != nil {
		return cliConfig{}
	}
	cfg, err := parseCLIConfig(string(data))
	if err != nil {
		fmt.Fprintf(os.Stderr, "Warning: ignoring %s: %v\n", p, err)
	}
	return cfg
}

func parseCLIConfig(text string) (cliConfig, error) {
	var cfg cliConfig
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(stripComment(sc.Text()))
		if line == "" {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return cfg, fmt.Errorf("line %d: want key = value", n)
		}
		vals, err := parseConfigValue(strings.TrimSpace(val))
		if err != nil {
			return cfg, fmt.Errorf("line %d: %w", n, err)
		}
		switch strings.TrimSpace(key) {
		case "address", "addresses":
			cfg.addresses = append(cfg.addresses, vals...)
		case "namespace":
			if len(vals) != 1 {
				return cfg, fmt.Errorf("line %d: namespace takes one string", n)
			}
			cfg.namespace = vals[0]
		default:
			return cfg, fmt.Errorf("line %d: unknown key %q", n, strings.TrimSpace(key))
		}
	}
	return cfg, sc.Err()
}

// parseConfigValue reads "s" or ["a", "b"].
func parseConfigValue(v string) ([]string, error) {
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		var out []string
		for _, item := range strings.Split(v[1:len(v)-1], ",") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			s, err := strconv.Unquote(item)
			if err != nil {
				return nil, fmt.Errorf("bad string %s", item)
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := strconv.Unquote(v)
	if err != nil {
		return nil, fmt.Errorf("bad string %s", v)
	}
	return []string{s}, nil
}

// stripComment drops # and // comments outside quotes.
func stripComment(line string) string {
	inQuote := false
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && inQuote:
			i++
		case line[i] == '"':
			inQuote = !inQuote
		case !inQuote && (line[i] == '#' || strings.HasPrefix(line[i:], "//")):
			return line[:i]
		}
	}
	return line
}
