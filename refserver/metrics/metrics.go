// Package metrics exposes the reference server's state to the people who
// run it: Prometheus metrics (connections by state, logins, messages,
// catch-ups, store latency, limit hits, plus the Go runtime's and the
// process's own) and a health check for compose and systemd. Metrics
// implements server.Observer; WrapStore times every store call; Handler
// serves /metrics and /healthz. docs/operations.md lists every metric and
// what to alert on.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gochatproto/gochat/refserver/server"
)

// Metrics holds the server's collectors in a registry of its own, so that
// several servers in one process (tests) do not collide.
type Metrics struct {
	reg *prometheus.Registry

	conns     [len(connStates)]prometheus.Gauge
	opened    prometheus.Counter
	loginOK   prometheus.Counter
	loginFail prometheus.Counter
	live      prometheus.Counter
	stored    prometheus.Counter
	caughtUp  prometheus.Counter
	catchUps  prometheus.Histogram
	limits    [len(limits)]prometheus.Counter
	storeTime [len(storeOps)]prometheus.Observer
	storeErrs [len(storeOps)]prometheus.Counter
}

// The label values, indexed like the server's enums.
var (
	connStates = [...]server.ConnState{server.ConnWaiting, server.ConnHandshake,
		server.ConnAnonymous, server.ConnVerifying, server.ConnLoggedIn}
	limits = [...]server.Limit{server.LimitConnsPerSource, server.LimitDescriptors,
		server.LimitLoginDeadline, server.LimitReg, server.LimitLogin,
		server.LimitVerifyFail, server.LimitPendingPerSource}
)

var _ server.Observer = (*Metrics)(nil)

// New creates the collectors, every label value already present at zero,
// so that a rate() or an alert has a series from the first scrape.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	f := factory{m.reg}
	conns := f.gaugeVec("gochat_connections", "Client sockets by state: waiting (for admission), handshake (TLS), anonymous, verifying (a LOGIN waits for its VERIF), logged_in.", "state")
	for i, s := range connStates {
		m.conns[i] = conns.WithLabelValues(s.String())
	}
	m.opened = f.counter("gochat_connections_opened_total", "Client sockets accepted past the per-source cap and the descriptor budget.")
	logins := f.counterVec("gochat_logins_total", "VERIFs and token LOGINs made without a session, by whether they logged in.", "result")
	m.loginOK, m.loginFail = logins.WithLabelValues("ok"), logins.WithLabelValues("failed")
	msgs := f.counterVec("gochat_messages_total", "Messages: MSGs delivered live to an online recipient, MSGs stored for later, and stored messages delivered by a catch-up.", "path")
	m.live, m.stored, m.caughtUp = msgs.WithLabelValues("live"), msgs.WithLabelValues("stored"), msgs.WithLabelValues("caught_up")
	m.catchUps = f.histogram("gochat_catchup_messages", "Messages delivered by one RECIV catch-up.",
		[]float64{1, 2, 5, 10, 25, 50, 100, 256, 1024, 4096, 16384})
	hits := f.counterVec("gochat_limit_hits_total", "Refusals by the limits for the open internet (docs/operations.md).", "limit")
	for i, l := range limits {
		m.limits[i] = hits.WithLabelValues(l.String())
	}
	times := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gochat_store_duration_seconds",
		Help:    "Time taken by each store (database) call, by operation.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"op"})
	m.reg.MustRegister(times)
	errs := f.counterVec("gochat_store_errors_total", "Store calls that failed for a reason other than their documented outcomes (not found, name or key taken): database trouble.", "op")
	for i, op := range storeOps {
		m.storeTime[i] = times.WithLabelValues(op)
		m.storeErrs[i] = errs.WithLabelValues(op)
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the collectors live, for adding more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help, label string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{label})
	f.reg.MustRegister(c)
	return c
}

func (f factory) gaugeVec(name, help, label string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{label})
	f.reg.MustRegister(g)
	return g
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}

// ConnMoved implements server.Observer.
func (m *Metrics) ConnMoved(from, to server.ConnState) {
	if g := m.connGauge(from); g != nil {
		g.Dec()
	} else {
		m.opened.Inc()
	}
	if g := m.connGauge(to); g != nil {
		g.Inc()
	}
}

func (m *Metrics) connGauge(s server.ConnState) prometheus.Gauge {
	for i, cs := range connStates {
		if cs == s {
			return m.conns[i]
		}
	}
	return nil
}

// LimitHit implements server.Observer.
func (m *Metrics) LimitHit(l server.Limit) {
	for i, ll := range limits {
		if ll == l {
			m.limits[i].Inc()
		}
	}
}

// Login implements server.Observer.
func (m *Metrics) Login(ok bool) {
	if ok {
		m.loginOK.Inc()
	} else {
		m.loginFail.Inc()
	}
}

// MessagesLive implements session.Observer.
func (m *Metrics) MessagesLive(n int) {
	if n > 0 {
		m.live.Add(float64(n))
	}
}

// MessageStored implements session.Observer.
func (m *Metrics) MessageStored() { m.stored.Inc() }

// CaughtUp implements session.Observer.
func (m *Metrics) CaughtUp(n int) {
	if n > 0 {
		m.caughtUp.Add(float64(n))
		m.catchUps.Observe(float64(n))
	}
}
