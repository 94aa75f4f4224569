// Package ui is the reference client's terminal interface. It is the only
// package that imports tcell: it draws a model.Model and turns keys,
// resizes and Backend events into model changes.
//
// One goroutine, the one running Run, owns the model and the screen. Each
// Backend call runs on a goroutine of its own whose result comes back to
// the loop as a closure. The loop handles one event, then drains whatever
// else is already queued, and draws once per batch, so a burst of network
// events costs one redraw.
package ui

import (
	"context"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/gochatproto/gochat/refclient/model"
)

// Options tune Run. The zero value is usable.
type Options struct {
	// Now returns the current time; tests fix it. Default time.Now.
	Now func() time.Time
	// Location is the zone timestamps are shown in. Default time.Local.
	Location *time.Location
	// AfterDraw, if set, is called on the UI goroutine after every draw,
	// with the screen already shown. Tests use it to count draws and read
	// the screen without racing the loop.
	AfterDraw func(tcell.Screen)
	// HistoryPage is how many older messages one scroll-back request
	// loads. Default 50.
	HistoryPage int
}

// maxBatch bounds how many queued events one batch handles before drawing,
// so a flood cannot starve the screen.
const maxBatch = 4096

// ui is the state owned by the Run goroutine.
type ui struct {
	ctx    context.Context
	screen tcell.Screen
	be     Backend
	opts   Options
	m      *model.Model

	term   chan tcell.Event // fed by screen.ChannelEvents
	events <-chan Event
	done   chan func() // results of backend calls, run on the loop
	wg     sync.WaitGroup

	quit      bool
	redraw    bool // Sync instead of Show on the next draw
	pasting   bool // inside a bracketed paste: Enter inserts a newline
	helpTop   int  // first help line shown
	prompt    *prompt
	history   map[*model.Buffer]*historyState
	lastTitle string
	ticker    *time.Ticker // redraws the reconnection countdown
}

// Run draws the interface on screen and handles input and backend events
// until the user quits or ctx is cancelled, then calls be.Quit. screen must
// already be initialised; the caller keeps ownership and calls Fini, which
// lets tests read a SimulationScreen after Run returns.
func Run(ctx context.Context, screen tcell.Screen, be Backend, opts Options) error {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.HistoryPage <= 0 {
		opts.HistoryPage = 50
	}
	ctx, cancel := context.WithCancel(ctx)
	u := &ui{
		ctx: ctx, screen: screen, be: be, opts: opts, m: model.New(),
		term: make(chan tcell.Event, 64), events: be.Events(), done: make(chan func(), 64),
		history: make(map[*model.Buffer]*historyState),
	}
	stopTerm := make(chan struct{})
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		screen.ChannelEvents(u.term, stopTerm)
	}()
	u.start()
	err := u.loop()
	close(stopTerm)
	cancel()
	qerr := be.Quit()
	u.wg.Wait()
	if err != nil {
		return err
	}
	return qerr
}

// RunTerminal runs the interface on the process's terminal.
func RunTerminal(ctx context.Context, be Backend, opts Options) error {
	screen, err := tcell.NewScreen()
	if err != nil {
		return err
	}
	if err := screen.Init(); err != nil {
		return err
	}
	defer screen.Fini()
	screen.EnablePaste()
	screen.EnableFocus()
	return Run(ctx, screen, be, opts)
}

func (u *ui) start() {
	for _, name := range u.be.Servers() {
		u.m.AddServer(name)
	}
	u.notice(model.LocalServer, "Welcome to gochat. Press F1 or Ctrl-L for keys and commands.")
	u.notice(model.LocalServer, "Shift-Up/Down picks a server; type /connect there, or /connect host:port here.")
}

func (u *ui) loop() error {
	defer u.stopTicker()
	u.draw()
	for !u.quit {
		select {
		case <-u.ctx.Done():
			return u.ctx.Err()
		case ev, ok := <-u.term:
			u.handleTerm(ev, ok)
		case ev, ok := <-u.events:
			u.handleBackendEvent(ev, ok)
		case f := <-u.done:
			f()
		case <-u.tick():
		}
		u.drain()
		if !u.quit {
			u.draw()
		}
	}
	return nil
}

// tick returns a channel that ticks every second while a server is
// reconnecting, so the countdown in the status line moves; nil otherwise.
func (u *ui) tick() <-chan time.Time {
	for _, s := range u.m.Servers() {
		if s.State == model.Reconnecting {
			if u.ticker == nil {
				u.ticker = time.NewTicker(time.Second)
			}
			return u.ticker.C
		}
	}
	u.stopTicker()
	return nil
}

func (u *ui) stopTicker() {
	if u.ticker != nil {
		u.ticker.Stop()
		u.ticker = nil
	}
}

// drain handles everything already queued without blocking.
func (u *ui) drain() {
	for range maxBatch {
		if u.quit {
			return
		}
		select {
		case ev, ok := <-u.term:
			u.handleTerm(ev, ok)
		case ev, ok := <-u.events:
			u.handleBackendEvent(ev, ok)
		case f := <-u.done:
			f()
		default:
			return
		}
	}
}

// call runs op on its own goroutine and then, if the UI is still running,
// runs then on the loop with op's error.
func (u *ui) call(op func(ctx context.Context) error, then func(err error)) {
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		err := op(u.ctx)
		select {
		case u.done <- func() { then(err) }:
		case <-u.ctx.Done():
		}
	}()
}

func (u *ui) now() time.Time { return u.opts.Now() }

func (u *ui) notice(server, text string) {
	u.m.Add(server, "", model.Line{Time: u.now(), Text: text, Kind: model.KindNotice})
}

func (u *ui) errorLine(server, peer, text string) {
	u.m.Add(server, peer, model.Line{Time: u.now(), Text: text, Kind: model.KindError})
}

// status is where replies to the current buffer's commands go: the
// current buffer, so the user sees them where they typed.
func (u *ui) status(text string) {
	s, b := u.m.Current()
	u.m.Add(s.Name, bufName(b), model.Line{Time: u.now(), Text: text, Kind: model.KindNotice})
}

func (u *ui) fail(text string) {
	s, b := u.m.Current()
	u.errorLine(s.Name, bufName(b), text)
}

// bufName maps a buffer to the peer name Model.Add takes.
func bufName(b *model.Buffer) string {
	if b.Kind == model.BufferSystem {
		return ""
	}
	return b.Name
}
