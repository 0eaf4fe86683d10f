package client

import (
	"net/http"
	"strings"
)

// WarningHandler receives the text of each Warning header the server
// answers with (RFC 7234 form, as Kubernetes sends them: `299 - "text"`),
// for example a field Barque does not implement and ignored.
type WarningHandler func(text string)

// handleWarnings passes the Warning headers of an answer to the handler.
func (c *Client) handleWarnings(h http.Header) {
	if c.warn == nil {
		return
	}
	for _, v := range h.Values("Warning") {
		if text, ok := parseWarning(v); ok {
			c.warn(text)
		}
	}
}

// parseWarning reads `CODE AGENT "TEXT" [DATE]` and returns TEXT with its
// \" and \\ escapes undone.
func parseWarning(v string) (string, bool) {
	_, rest, ok := strings.Cut(strings.TrimSpace(v), " ") // code
	if !ok {
		return "", false
	}
	_, rest, ok = strings.Cut(rest, " ") // agent
	if !ok || !strings.HasPrefix(rest, `"`) {
		return "", false
	}
	var b strings.Builder
	for i := 1; i < len(rest); i++ {
		switch ch := rest[i]; ch {
		case '\\':
			if i+1 < len(rest) {
				i++
				b.WriteByte(rest[i])
			}
		case '"':
			return b.String(), true
		default:
			b.WriteByte(ch)
		}
	}
	return "", false
}
