package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/barque-io/barque/api"
	"github.com/barque-io/barque/api/client"
	"github.com/spf13/cobra"
)

func init() { jobSubcommands = append(jobSubcommands, newJobDispatchCmd) }

// dispatchRequest is what `job dispatch` was given.
type dispatchRequest struct {
	meta    map[string]string
	payload []byte
}

func newJobDispatchCmd() *cobra.Command {
	var metas []string
	cmd := &cobra.Command{
		Use:   "dispatch JOB [-meta key=value]... [INPUT|-]",
		Short: "Run a parameterized job once, with meta values and a payload (a file, or - for stdin)",
		Long: `Dispatch a parameterized batch job as Nomad does: a child batch job,
named <job>-dispatch-<unix time>-<8 hex digits> and owned by the job's
record, is created from the objects the job's current version rendered.
Each -meta key=value is in every task's environment as NOMAD_META_<key>
(and BARQUE_META_<key>); the payload (at most 16 KiB) is written to the
file each task's dispatch_payload block names, under its local/
directory. The job's parameterized block decides what is allowed: the
payload is optional, required or forbidden, every meta_required key must
be given, and only meta_required and meta_optional keys may be.
"job status JOB" lists the dispatched jobs; "job logs CHILD" prints a
child's output.`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: completeJobNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := readDispatch(cmd.InOrStdin(), metas, args[1:])
			if err != nil {
				return err
			}
			return dispatchJob(cmd, args[0], req)
		},
	}
	cmd.Flags().StringArrayVar(&metas, "meta", nil, "a meta value: -meta key=value (repeatable)")
	return cmd
}

// readDispatch parses the -meta values and reads the payload.
func readDispatch(stdin io.Reader, metas, input []string) (*dispatchRequest, error) {
	req := &dispatchRequest{meta: map[string]string{}}
	for _, kv := range metas {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-meta: invalid value %q: want key=value", kv)
		}
		req.meta[k] = v
	}
	if len(input) == 0 {
		return req, nil
	}
	var r io.Reader = stdin
	if input[0] != "-" {
		f, err := os.Open(input[0])
		if err != nil {
			return nil, fmt.Errorf("reading the payload: %w", err)
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, api.DispatchPayloadMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the payload: %w", err)
	}
	if len(b) > api.DispatchPayloadMaxBytes {
		return nil, fmt.Errorf("payload exceeds the maximum size of %d bytes (16 KiB)", api.DispatchPayloadMaxBytes)
	}
	req.payload = b
	return req, nil
}

// checkDispatch applies the job's parameterized block to a request.
func checkDispatch(name string, p *api.NomadJobParameterized, req *dispatchRequest) error {
	var errs []error
	switch {
	case p.Payload == api.DispatchPayloadRequired && len(req.payload) == 0:
		errs = append(errs, fmt.Errorf("job %q requires a payload (give a file, or - for stdin)", name))
	case p.Payload == api.DispatchPayloadForbidden && len(req.payload) > 0:
		errs = append(errs, fmt.Errorf("job %q forbids a payload", name))
	}
	allowed := map[string]bool{}
	for _, k := range append(append([]string(nil), p.MetaRequired...), p.MetaOptional...) {
		allowed[k] = true
	}
	var missing []string
	for _, k := range p.MetaRequired {
		if _, ok := req.meta[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("job %q requires meta key(s) %s (give -meta key=value)", name, strings.Join(missing, ", ")))
	}
	for _, k := range sortedMetaKeys(req.meta) {
		if !allowed[k] {
			errs = append(errs, fmt.Errorf("meta key %q is not allowed by job %q (allowed: %s)", k, name,
				orDefault(strings.Join(sortedStrings(allowed), ", "), "none")))
		}
	}
	return errors.Join(errs...)
}

func dispatchJob(cmd *cobra.Command, name string, req *dispatchRequest) error {
	c, err := newAPIClient()
	if err != nil {
		return err
	}
	rec, err := getRecord(cmd.Context(), c, name)
	if err != nil {
		return err
	}
	switch {
	case rec.Spec.Parameterized == nil:
		return fmt.Errorf("job %q is not a parameterized job: only jobs with a parameterized block can be dispatched", name)
	case rec.Spec.Stop:
		return fmt.Errorf("job %q is stopped: run it again before dispatching it", name)
	}
	if err := checkDispatch(name, rec.Spec.Parameterized, req); err != nil {
		return err
	}
	id, err := dispatchID(name)
	if err != nil {
		return err
	}
	objs, err := childObjects(rec, id, req)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	for _, o := range objs {
		if _, err := c.Create(cmd.Context(), o); err != nil {
			return fmt.Errorf("dispatching job %q: %s: %w", name, objectID(o), err)
		}
	}
	fmt.Fprintf(out, "Dispatched Job ID = %s\n", id)
	for _, o := range objs {
		fmt.Fprintf(out, "    %s created\n", resourceName(mustKind(o), o.GetObjectMeta().Name))
	}
	return nil
}

// dispatchID names a child as Nomad does (<job>/dispatch-<unix>-<8 hex>),
// DNS-safe: '-' for '/', and the job's part cut so that the name stays a
// valid label value (63 characters).
func dispatchID(job string) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	suffix := fmt.Sprintf("-dispatch-%d-%s", time.Now().Unix(), hex.EncodeToString(b))
	if max := 63 - len(suffix); len(job) > max {
		job = strings.TrimRight(job[:max], "-.")
	}
	return job + suffix, nil
}

func encodePayload(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func sortedMetaKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedStrings(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// registerParameterized records a parameterized job: its objects are kept
// in the record for `job dispatch`, and none is applied (what an earlier,
// not parameterized, version applied is deleted).
func registerParameterized(cmd *cobra.Command, c *client.Client, sub *submission) error {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "==> %s: Registering parameterized job %q (%d objects kept for dispatch)\n",
		time.Now().Format("2006-01-02T15:04:05Z07:00"), sub.name, len(sub.objs))
	if _, err := recordAndReport(cmd, c, sub); err != nil {
		return err
	}
	stale := &submission{name: sub.name, namespace: sub.namespace}
	if err := deleteStale(cmd, c, stale); err != nil {
		return err
	}
	fmt.Fprintf(out, "    Job registration successful: nothing runs until \"barque job dispatch %s\"\n", sub.name)
	return nil
}

// planParameterized is `job plan` of a parameterized job: a run records
// it and applies nothing, so only the version and the objects an earlier
// version applied (which a run deletes) are listed.
func planParameterized(cmd *cobra.Command, c *client.Client, sub *submission, base *planBase) (int, error) {
	out := cmd.OutOrStdout()
	if err := planObjects(cmd, c, &submission{name: sub.name, namespace: sub.namespace}, base); err != nil {
		return 0, err
	}
	fmt.Fprintf(out, "\nParameterized job: %d objects are kept for `barque job dispatch %s`; nothing runs until then.\n",
		len(sub.objs), sub.name)
	if base.changes == 0 {
		fmt.Fprintln(out, "No changes: the job is registered as written.")
	} else {
		fmt.Fprintf(out, "%d change(s); `barque job run` registers them.\n", base.changes)
	}
	return base.changes, nil
}
