package server

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are per replica (a registry each, so that in-process clusters do
// not collide).
type metrics struct {
	reg      *prometheus.Registry
	commit   prometheus.Histogram
	requests *prometheus.HistogramVec
	// proposeStreams counts the followers' propose streams this server
	// serves now (forward_stream.go).
	proposeStreams prometheus.Gauge
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.commit = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "barque_raft_commit_seconds",
		Help:    "Time from proposing a write to its application on the leader (includes batching, replication and fsync).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "barque_api_request_duration_seconds",
		Help:    "API request latency by verb and kind (watches: time to end of stream).",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"verb", "kind"})
	applied := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "barque_fsm_applied_index",
		Help: "Raft index of the last entry applied to the store; its rate is the apply rate.",
	}, func() float64 { return float64(s.node.Store().Index()) })
	leader := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "barque_raft_is_leader", Help: "1 when this replica is the Raft leader.",
	}, func() float64 {
		if s.node.IsLeader() {
			return 1
		}
		return 0
	})
	m.proposeStreams = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "barque_propose_streams",
		Help: "Followers' standing connections that forward writes to this server (the leader serves one per follower).",
	})
	m.reg.MustRegister(m.commit, m.requests, applied, leader, m.proposeStreams,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// observe starts timing a request; call the returned func when it ends.
func (m *metrics) observe(verb, kind string) func() {
	start := time.Now()
	return func() { m.requests.WithLabelValues(verb, kind).Observe(time.Since(start).Seconds()) }
}
