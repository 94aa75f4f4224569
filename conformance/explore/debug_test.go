package explore

import (
	"fmt"
	"strings"
	"testing"
)

func dumpActor(t *testing.T, evs []Event, actor int, name string) {
	for _, e := range evs {
		if (e.Actor == actor && e.Conn != "" && e.Kind != EvPush) || (e.Kind == EvReply && e.Action == "USRS") {
			in := ""
			if e.Action == "USRS" {
				in = fmt.Sprint(strings.Contains(e.Body, name))
			}
			t.Logf("%5d %8.1fms %-6s %-10s %-7s id=%d %s %s %s note=%s call=%d op=%d", e.Seq, float64(e.T.Microseconds())/1000, e.Kind, e.Conn, e.Action, e.ID, e.Code, e.Name, in, e.Note, e.Call, e.Op)
		}
	}
}

func dumpOnline(t *testing.T, evs []Event, names []string, acct string) {
	a := analyse(evs)
	f := &Facts{Names: names, Settle: 500e6}
	ops, _ := onlineHistory(a, f)
	for _, op := range ops {
		in := op.Input.(onlineIn)
		if in.acct == acct {
			t.Logf("%8.1f..%8.1f %-12s %v seq=%d", float64(op.Call)/1e6, float64(op.Return)/1e6, in.kind, op.Output, op.ClientId)
		}
	}
}
