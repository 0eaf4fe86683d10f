package node

import (
	"bytes"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/barque-io/barque/node/driver"
)

func TestTailSegmentsAcrossRotatedFiles(t *testing.T) {
	dir := t.TempDir()
	// .1 is older than .0.
	mustOK(t, os.WriteFile(driver.LogFileName(dir, "web", "stdout", 1), []byte("a\nb\nc\n"), 0o644))
	mustOK(t, os.WriteFile(driver.LogFileName(dir, "web", "stdout", 0), []byte("d\ne\n"), 0o644))
	files := driver.LogFiles(dir, "web", "stdout")
	for _, tc := range []struct {
		n    int
		want string
	}{{-1, "a\nb\nc\nd\ne\n"}, {0, ""}, {1, "e\n"}, {2, "d\ne\n"}, {3, "c\nd\ne\n"}, {5, "a\nb\nc\nd\ne\n"}, {9, "a\nb\nc\nd\ne\n"}} {
		var b bytes.Buffer
		mustOK(t, copySegments(&b, tailSegments(files, tc.n)))
		if b.String() != tc.want {
			t.Errorf("tail %d = %q, want %q", tc.n, b.String(), tc.want)
		}
	}
}

func TestKeepPreviousRun(t *testing.T) {
	dir := t.TempDir()
	mustOK(t, os.WriteFile(driver.LogFileName(dir, "web", "stdout", 0), []byte("run 1\n"), 0o644))
	mustOK(t, keepPreviousRun(dir, "web", "stdout"))
	mustOK(t, os.WriteFile(driver.LogFileName(dir, "web", "stdout", 0), []byte("run 2\n"), 0o644))
	mustOK(t, keepPreviousRun(dir, "web", "stdout"))
	if got := driver.LogFiles(dir, "web", "stdout"); len(got) != 0 {
		t.Fatalf("current files left: %v", got)
	}
	b, err := os.ReadFile(driver.LogFileName(dir, "web"+previousSuffix, "stdout", 0))
	if err != nil || string(b) != "run 2\n" {
		t.Fatalf("previous run: %q %v", b, err)
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestSinceSegmentsResumeAtAnOffset(t *testing.T) {
	dir := t.TempDir()
	mustOK(t, os.WriteFile(driver.LogFileName(dir, "web", "stdout", 1), []byte("a\nb\nc\n"), 0o644))
	mustOK(t, os.WriteFile(driver.LogFileName(dir, "web", "stdout", 0), []byte("d\ne\n"), 0o644))
	files := driver.LogFiles(dir, "web", "stdout")
	for _, tc := range []struct {
		off  int64
		want string
	}{
		{0, "a\nb\nc\nd\ne\n"}, {2, "b\nc\nd\ne\n"}, {6, "d\ne\n"}, {8, "e\n"}, {10, ""},
		// Beyond the end: the files were replaced (a restart); read the new run.
		{11, "a\nb\nc\nd\ne\n"},
	} {
		segs := sinceSegments(files, tc.off)
		var b bytes.Buffer
		mustOK(t, copySegments(&b, segs))
		if b.String() != tc.want {
			t.Errorf("since %d = %q, want %q", tc.off, b.String(), tc.want)
		}
		// The offset reported for the answer is where it starts.
		if want := int64(10 - len(tc.want)); tc.off <= 10 && startOffset(files, segs) != want {
			t.Errorf("since %d: start offset %d, want %d", tc.off, startOffset(files, segs), want)
		}
	}
	// A tail's answer reports its offset too, so that it can be resumed.
	if got := startOffset(files, tailSegments(files, 2)); got != 6 {
		t.Errorf("tail 2 starts at %d, want 6", got)
	}
}

func TestParseLogRequestSinceBytes(t *testing.T) {
	for _, tc := range []struct {
		query string
		since int64
		bad   bool
	}{
		{"stream=stdout&sinceBytes=12", 12, false},
		{"stream=stderr", -1, false},
		{"sinceBytes=12", 0, true}, // both streams: an offset of which?
		{"stream=stdout&sinceBytes=-1", 0, true},
		{"stream=stdout&sinceBytes=x", 0, true},
	} {
		r := httptest.NewRequest("GET", "/v1/pods/u/tasks/main/logs?"+tc.query, nil)
		lr, err := parseLogRequest(r, t.TempDir(), "main")
		if (err != nil) != tc.bad || (err == nil && lr.since != tc.since) {
			t.Errorf("%s: request %+v, error %v", tc.query, lr, err)
		}
	}
}
