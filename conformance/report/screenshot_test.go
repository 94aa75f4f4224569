package report

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// -screenshots DIR writes a PNG of each page (run report, comparison,
// load charts) drawn from the fixtures, for docs/images:
//
//	go test ./conformance/report -run TestScreenshots -screenshots docs/images
var screenshots = flag.String("screenshots", "", "write screenshots of the HTML pages to `DIR`")

func TestScreenshots(t *testing.T) {
	if *screenshots == "" {
		t.Skip("skipped: give -screenshots DIR to write the pages' screenshots")
	}
	rs, in := fixtureRun(t)
	shots := []struct {
		name, url string
	}{
		{"report-run.png", writePage(t, "run.html", func(f *os.File) error { return HTML(f, rs, in) })},
		{"report-compare.png", writePage(t, "compare.html", func(f *os.File) error {
			return Compare(f, fixtureComparison(t), in.Registry)
		})},
		{"report-load.png", writePage(t, "load.html", func(f *os.File) error { return LoadHTML(f, fixtureLoad()) })},
		{"report-explore.png", writePage(t, "timeline.html", func(f *os.File) error { return TimelineHTML(f, fixtureTimeline()) })},
	}
	ctx := newBrowser(t)
	for _, s := range shots {
		do(ctx, t, chromedp.EmulateViewport(1280, 1500), chromedp.Navigate(s.url), chromedp.WaitReady(chromedp.CSS("body")))
		if s.name == "report-run.png" {
			// Show the problems, one failure's transcript open.
			click(ctx, t, `button[data-only="fail crash error warn"]`)
			click(ctx, t, "#sc-REG-dup details.transcript > summary")
		}
		// No blank space below a short page.
		h := eval[int64](ctx, t, `Math.ceil(document.body.getBoundingClientRect().bottom)`)
		do(ctx, t, chromedp.EmulateViewport(1280, min(h, 1500)))
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(*screenshots, s.name), png, 0o644))
	}
}
