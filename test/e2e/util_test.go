package e2e

import (
	"strconv"

	"github.com/barque-io/barque/api/client"
	"os"
	"strings"
)

func readFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	return string(b), err
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func itoa(n int) string { return strconv.Itoa(n) }

func deleteOpts() client.DeleteOptions { return client.DeleteOptions{} }

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }
