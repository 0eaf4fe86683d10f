package server

import (
	"net/url"
	"testing"
)

// The log query reaches the agent in its terms: tailLines becomes tail,
// sinceBytes (resuming a broken follow) passes through.
func TestAgentQueryForLogs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"follow=true&tailLines=3", "follow=true&previous=&tail=3"},
		{"follow=true&stream=stdout&sinceBytes=42", "follow=true&previous=&sinceBytes=42&stream=stdout"},
		{"stream=STDERR&sinceBytes=0", "follow=&previous=&sinceBytes=0&stream=stderr"},
	} {
		in, err := url.ParseQuery(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := agentQuery("log", in).Encode(); got != tc.want {
			t.Errorf("agentQuery(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
