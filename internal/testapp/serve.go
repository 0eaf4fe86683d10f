package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// serveAddr picks the listen address: the flag, else $PORT or
// $NOMAD_PORT_http as the agent sets them, else :8080.
func serveAddr(flagAddr string) string {
	if flagAddr != "" {
		return flagAddr
	}
	for _, k := range []string{"PORT", "NOMAD_PORT_http"} {
		if p := os.Getenv(k); p != "" {
			return ":" + p
		}
	}
	return ":8080"
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "", "listen address (default $PORT, $NOMAD_PORT_http or :8080)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", serveAddr(*addr))
	if err != nil {
		return err
	}
	// The line tests wait for: it carries the real port when :0 was asked.
	fmt.Println("testapp: listening on", ln.Addr())
	srv := &http.Server{Handler: newMux(), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case s := <-stopSignals():
		fmt.Println("testapp: stopping on", s)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

func newMux() *http.ServeMux {
	var failing atomic.Bool
	host, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "ok %s\n", host)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "failing", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "healthy")
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		failing.Store(true)
		fmt.Fprintln(w, "healthz fails from now on")
	})
	mux.HandleFunc("/exit", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(strings.TrimSpace(r.URL.Query().Get("code")))
		if err != nil {
			http.Error(w, "code: want an integer", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "exiting %d\n", code)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		// Exit after the answer is on the wire, so the caller sees it.
		go func() {
			time.Sleep(50 * time.Millisecond)
			os.Exit(code)
		}()
	})
	return mux
}
