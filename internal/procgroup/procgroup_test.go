//go:build unix

package procgroup

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A shell's child goes down with the shell: the group is signalled, not
// just the process Start returned.
func TestTerminateStopsTheGroup(t *testing.T) {
	for name, stop := range map[string]func(*exec.Cmd) error{"terminate": Terminate, "kill": Kill} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command("sh", "-c", "sleep 30 & echo $!; wait")
			Isolate(cmd)
			out, err := cmd.StdoutPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			buf := make([]byte, 32)
			n, err := out.Read(buf)
			require.NoError(t, err)
			child, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
			require.NoError(t, err)

			require.NoError(t, stop(cmd))
			_ = cmd.Wait()
			// The orphaned child is gone, or a zombie when nothing reaps
			// it; poll, bounded.
			deadline := time.Now().Add(10 * time.Second)
			for alive(child) {
				require.True(t, time.Now().Before(deadline), "child %d outlived its group", child)
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc (macOS): signal 0 is all we have
	}
	// pid (comm) STATE ...: the state follows the last ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
