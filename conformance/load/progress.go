package load

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress calls o.Progress about once a second until the returned stop
// function runs.
func progress(o *Options, profile string, w *window, done func() int64) func() {
	if o.Progress == nil {
		return func() {}
	}
	limit := o.Warmup + o.Duration
	if o.Duration == 0 {
		limit = 0
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case now := <-t.C:
				o.Progress(profile, done(), o.Count, now.Sub(w.start), limit)
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
	}
}

// TTYProgress returns a ProgressFunc drawing a one-line bar on w if w is a
// terminal, or nil otherwise (progress output would litter logs).
func TTYProgress(w io.Writer) ProgressFunc {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return func(profile string, done, total int64, elapsed, limit time.Duration) {
		drawBar(f, profile, done, total, elapsed, limit)
	}
}

func drawBar(w io.Writer, profile string, done, total int64, elapsed, limit time.Duration) {
	frac := 0.0
	if limit > 0 {
		frac = elapsed.Seconds() / limit.Seconds()
	}
	if total > 0 {
		frac = max(frac, float64(done)/float64(total))
	}
	frac = min(frac, 1)
	const width = 30
	n := int(frac * width)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < n {
			bar[i] = '#'
		}
	}
	fmt.Fprintf(w, "\r%-8s [%s] %3.0f%% %d ops %s\x1b[K", profile, bar, frac*100, done, elapsed.Truncate(time.Second))
}
