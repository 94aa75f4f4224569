package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gochatproto/gochat/conformance/result"
)

// browserCandidates are the names Chromium goes by; GOCHAT_CHROMIUM, when
// set, names the binary to use instead.
var browserCandidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

func findBrowser() string {
	if p := os.Getenv("GOCHAT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range browserCandidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts headless Chromium for one test and stops it when the
// test ends (chromedp kills the process and its children, and Pdeathsig
// kills them if the test binary dies first). Without Chromium the test is
// skipped, except under CI, where .ci/run installs it and its absence is
// a failure.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := findBrowser()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium found (tried GOCHAT_CHROMIUM and chromium, chromium-browser, google-chrome); .ci/run installs Debian's chromium")
		}
		t.Skip("skipped: no Chromium found; install Debian's chromium (apt-get install chromium) or set GOCHAT_CHROMIUM to run the browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// One bound for the whole test, so a wedged browser cannot hang it.
	tctx, cancelTime := context.WithTimeout(actx, 2*time.Minute)
	ctx, cancel := chromedp.NewContext(tctx)
	t.Cleanup(func() {
		cancel()
		cancelTime()
		cancelAlloc() // waits for the browser process to exit
	})
	require.NoError(t, chromedp.Do(ctx), "starting %s", path)
	return ctx
}

// writePage writes page bytes to a temporary file and returns its URL.
func writePage(t *testing.T, name string, render func(f *os.File) error) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	require.NoError(t, err)
	require.NoError(t, render(f))
	require.NoError(t, f.Close())
	return "file://" + p
}

// do runs actions that return nothing, failing the test on an error.
func do(ctx context.Context, t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, steps...))
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](ctx context.Context, t *testing.T, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, js)
	return v
}

// textOf is the text content of the first element sel matches.
func textOf(ctx context.Context, t *testing.T, sel string) string {
	t.Helper()
	return eval[string](ctx, t, `(function(){var e=document.querySelector(`+jsString(sel)+`);return e?e.textContent:"<missing>";})()`)
}

// visible reports whether the element sel matches is rendered.
func visible(ctx context.Context, t *testing.T, sel string) bool {
	t.Helper()
	return eval[bool](ctx, t, `(function(){var e=document.querySelector(`+jsString(sel)+`);return !!e && e.checkVisibility();})()`)
}

func click(ctx context.Context, t *testing.T, sel string) {
	t.Helper()
	do(ctx, t, chromedp.Click(chromedp.CSS(sel)))
}

func jsString(s string) string {
	b, _ := jsonMarshal(s)
	return string(b)
}

func TestHTMLInBrowser(t *testing.T) {
	rs, in := fixtureRun(t)
	url := writePage(t, "run.html", func(f *os.File) error { return HTML(f, rs, in) })
	ctx := newBrowser(t)
	do(ctx, t, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("#counts")))

	t.Run("counts", func(t *testing.T) {
		s := result.Summarize(rs)
		for _, v := range verdictOrder {
			got := textOf(ctx, t, `tr[data-count="`+string(v)+`"] td.total`)
			assert.Equal(t, itoa(s[v]), got, "header count of %s", v)
		}
		assert.Equal(t, itoa(len(rs)), textOf(ctx, t, "#total"))
		notes := 0
		for _, r := range rs {
			notes += len(r.Notes)
		}
		assert.Equal(t, itoa(notes), textOf(ctx, t, "#notes"))
	})

	t.Run("filters", func(t *testing.T) {
		require.True(t, visible(ctx, t, "#sc-REG-ok"))
		click(ctx, t, `button[data-filter="pass"]`)
		assert.False(t, visible(ctx, t, "#sc-REG-ok"), "pass hidden")
		assert.False(t, visible(ctx, t, "#sc-CONN-tcp"), "every pass hidden")
		assert.True(t, visible(ctx, t, "#sc-REG-dup"), "the failure stays")
		click(ctx, t, `button[data-filter="fail"]`)
		assert.False(t, visible(ctx, t, "#sc-REG-dup"), "fail hidden")
		assert.True(t, visible(ctx, t, "#sc-FRAME-reserved"), "the crash stays")
		click(ctx, t, `button[data-only=""]`)
		assert.True(t, visible(ctx, t, "#sc-REG-ok"), "all shown again")
		assert.True(t, visible(ctx, t, "#sc-REG-dup"))
		click(ctx, t, `button[data-only="fail crash error warn"]`)
		assert.False(t, visible(ctx, t, "#sc-CONN-tls"), "problems only: skip hidden")
		assert.True(t, visible(ctx, t, "#sc-CONN-keep"), "problems only: warn shown")
		click(ctx, t, `button[data-only=""]`)
		click(ctx, t, "#notes-only")
		assert.True(t, visible(ctx, t, "#sc-REG-ok"), "the pass with a note stays")
		assert.False(t, visible(ctx, t, "#sc-REG-dup"), "scenarios without notes hide")
		click(ctx, t, "#notes-only")
		assert.True(t, visible(ctx, t, "#sc-REG-dup"))
	})

	t.Run("transcript expands", func(t *testing.T) {
		pre := "#sc-REG-dup details.transcript pre"
		assert.True(t, visible(ctx, t, "#sc-REG-dup .failure"), "a failure is open by default")
		assert.False(t, visible(ctx, t, pre), "its transcript starts closed")
		click(ctx, t, "#sc-REG-dup details.transcript > summary")
		assert.True(t, visible(ctx, t, pre), "the transcript expands")
		assert.Contains(t, textOf(ctx, t, pre), "v1 REG info=0")
	})

	t.Run("hostile MOTD is text", func(t *testing.T) {
		pwned := eval[bool](ctx, t, `typeof window.pwned !== "undefined"`)
		title := eval[string](ctx, t, `document.title`)
		imgs := eval[int](ctx, t, `document.querySelectorAll("img").length`)
		text := textOf(ctx, t, "#sc-REG-dup .ea")
		assert.False(t, pwned, "the MOTD's script ran")
		assert.NotContains(t, title, "pwned")
		assert.Zero(t, imgs, "the MOTD's markup became an element")
		assert.Contains(t, text, "<script>window.pwned=1;", "the MOTD shows as text")
	})

	t.Run("copy button", func(t *testing.T) {
		click(ctx, t, "#sc-REG-dup .rerun button")
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#sc-REG-dup .rerun button").textContent === "copied"`,
			chromedp.WithPollingTimeout(10*time.Second)))
		assert.NoError(t, err, "the copy button confirms")
	})

	t.Run("requirement view", func(t *testing.T) {
		assert.False(t, visible(ctx, t, "#view-requirements"))
		click(ctx, t, `button[data-view="view-requirements"]`)
		assert.True(t, visible(ctx, t, "#view-requirements"))
		assert.False(t, visible(ctx, t, "#view-scenarios"))
		// A scenario link goes back to the scenarios, its details open.
		assert.False(t, eval[bool](ctx, t, `document.getElementById("sc-CONN-tcp").open`))
		click(ctx, t, `#view-requirements a[href="#sc-CONN-tcp"]`)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("sc-CONN-tcp").open`,
			chromedp.WithPollingTimeout(10*time.Second)))
		require.NoError(t, err, "the linked scenario opened")
		assert.True(t, visible(ctx, t, "#sc-CONN-tcp"))
		assert.False(t, visible(ctx, t, "#view-requirements"))
	})
}

func TestCompareAndLoadInBrowser(t *testing.T) {
	_, in := fixtureRun(t)
	cmp := writePage(t, "compare.html", func(f *os.File) error { return Compare(f, fixtureComparison(t), in.Registry) })
	lp := writePage(t, "load.html", func(f *os.File) error { return LoadHTML(f, fixtureLoad()) })
	ctx := newBrowser(t)

	do(ctx, t, chromedp.Navigate(cmp), chromedp.WaitReady(chromedp.CSS("#matrix")))
	assert.True(t, visible(ctx, t, `tr[data-scenario="REG-ok"]`))
	click(ctx, t, "#only-differing")
	assert.False(t, visible(ctx, t, `tr[data-scenario="REG-ok"]`), "a row that agrees hides")
	assert.True(t, visible(ctx, t, `tr[data-scenario="REG-dup"]`), "a row that differs stays")
	assert.Equal(t, eval[int](ctx, t, `document.querySelectorAll("tr.differs").length`),
		eval[int](ctx, t, `Array.from(document.querySelectorAll("#matrix tr[data-scenario]")).filter(function(e){return e.checkVisibility();}).length`))
	assert.Equal(t, textOf(ctx, t, "#differ"), itoa(eval[int](ctx, t, `document.querySelectorAll("tr.differs").length`)))
	// A cell links to that implementation's details, which open (a
	// pass starts closed).
	assert.False(t, eval[bool](ctx, t, `document.getElementById("i0-REG-dup").open`))
	click(ctx, t, `tr[data-scenario="REG-dup"] td:nth-child(2) a`)
	// hashchange fires after the click returns: wait for it, boundedly.
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("i0-REG-dup").open`,
		chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "the linked details opened")
	assert.True(t, visible(ctx, t, "#i0-REG-dup .rerun"))
	assert.True(t, visible(ctx, t, "#i2-REG-dup .failure"), "a failure's details are open")
	assert.False(t, eval[bool](ctx, t, `typeof window.pwned !== "undefined"`))

	do(ctx, t, chromedp.Navigate(lp), chromedp.WaitReady(chromedp.CSS("#numbers")))
	assert.Equal(t, 3, eval[int](ctx, t, `document.querySelectorAll("[id^=tp-] svg").length`), "a throughput chart per profile")
	assert.Equal(t, 6, eval[int](ctx, t, `document.querySelectorAll("[id^=tp-] rect.bar").length`), "a bar per run")
	assert.Equal(t, 4, eval[int](ctx, t, `document.querySelectorAll("[id^=lat-] polyline").length`), "a curve per run and distribution")
	// The bars of one run share a colour, and the two runs differ.
	c0 := eval[string](ctx, t, `getComputedStyle(document.querySelector("#tp-0 g.s0 rect")).fill`)
	c1 := eval[string](ctx, t, `getComputedStyle(document.querySelector("#tp-0 g.s1 rect")).fill`)
	assert.NotEqual(t, c0, c1)
	assert.Equal(t, c0, eval[string](ctx, t, `getComputedStyle(document.querySelector("#tp-1 g.s0 rect")).fill`))
	w0 := eval[float64](ctx, t, `document.querySelector("#tp-0 g.s0 rect").getBBox().width`)
	w1 := eval[float64](ctx, t, `document.querySelector("#tp-0 g.s1 rect").getBBox().width`)
	assert.Greater(t, w1, w0, "the faster run's bar is longer")
}

func TestTimelineInBrowser(t *testing.T) {
	url := writePage(t, "timeline.html", func(f *os.File) error { return TimelineHTML(f, fixtureTimeline()) })
	ctx := newBrowser(t)
	do(ctx, t, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("#timeline")))
	assert.Equal(t, 3, eval[int](ctx, t, `document.querySelectorAll("#timeline tr:first-child th").length - 2`), "a column per actor and the observer")
	assert.Equal(t, "reply a1c0 OK", textOf(ctx, t, "#ev-4 td:nth-child(4)"), "actor 1's event in actor 1's column")
	assert.True(t, visible(ctx, t, "#ev-1"))
	click(ctx, t, "#only-marked")
	assert.False(t, visible(ctx, t, "#ev-1"), "an event no violation cites hides")
	assert.True(t, visible(ctx, t, "#ev-4"))
	assert.True(t, visible(ctx, t, "#ev-6"))
}
