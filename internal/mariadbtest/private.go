package mariadbtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// dirPrefix names the temporary directories of private servers; it is
// short because the socket path inside must stay under 107 bytes.
const dirPrefix = "mdb"

// startTimeout bounds how long a private server may take to accept
// connections.
const startTimeout = 30 * time.Second

// lookTool finds a MariaDB program on PATH or in the usual sbin/bin
// directories (mariadbd is in /usr/sbin, often not on a user's PATH).
func lookTool(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin",
		"/opt/homebrew/bin", "/usr/local/opt/mariadb/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// startPrivate runs a throwaway mariadbd. (nil, nil) means MariaDB is not
// installed.
func startPrivate() (*server, error) {
	install, ok1 := lookTool("mariadb-install-db")
	mariadbd, ok2 := lookTool("mariadbd")
	if !ok1 || !ok2 {
		return nil, nil
	}
	removeStaleDirs()
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, err
	}
	// The owner file lets a later run remove this directory if this test
	// binary dies without calling Stop.
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s, err := bootPrivate(dir, install, mariadbd)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func bootPrivate(dir, install, mariadbd string) (*server, error) {
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "s.sock")
	if len(sock) >= 107 {
		return nil, fmt.Errorf("socket path %s is too long; set TMPDIR to a shorter directory", sock)
	}
	var userArg []string
	if os.Geteuid() == 0 {
		userArg = []string{"--user=root"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	args := append([]string{"--no-defaults"}, userArg...)
	args = append(args, "--auth-root-authentication-method=normal", "--skip-test-db",
		"--skip-name-resolve", "--datadir="+data)
	if out, err := exec.CommandContext(ctx, install, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s failed: %v\n%s", install, err, out)
	}

	errLog := filepath.Join(dir, "err.log")
	args = append([]string{"--no-defaults"}, userArg...)
	args = append(args,
		"--datadir="+data, "--socket="+sock, "--skip-networking",
		"--pid-file="+filepath.Join(dir, "pid"), "--log-error="+errLog,
		"--skip-log-bin", "--skip-name-resolve", "--max-connections=500",
		// Durability and memory are irrelevant for a throwaway test server;
		// start and commit fast.
		"--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
		"--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
		"--innodb-use-native-aio=0", "--performance-schema=0", "--skip-slave-start",
	)
	proc, exited, err := spawn(mariadbd, args)
	if err != nil {
		return nil, err
	}
	stop := func() {
		stopProcess(proc, exited)
		os.RemoveAll(dir)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", sock
	s, err := connectUntilExit(cfg, "private mariadbd in "+dir, stop, exited)
	if err != nil {
		stopProcess(proc, exited)
		log, _ := os.ReadFile(errLog)
		return nil, fmt.Errorf("%v\n--- %s ---\n%s", err, errLog, tail(log, 4000))
	}
	return s, nil
}

// spawn starts the server from a goroutine locked to its OS thread: the
// parent-death signal fires when the spawning thread exits, so that thread
// must live as long as the server. exited is closed once the process ends.
func spawn(path string, args []string) (*os.Process, <-chan struct{}, error) {
	type started struct {
		p   *os.Process
		err error
	}
	ch := make(chan started, 1)
	exited := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the server
		cmd := exec.Command(path, args...)
		cmd.SysProcAttr = procAttr()
		if err := cmd.Start(); err != nil {
			ch <- started{err: fmt.Errorf("start %s: %w", path, err)}
			close(exited)
			return
		}
		ch <- started{p: cmd.Process}
		cmd.Wait()
		close(exited)
	}()
	st := <-ch
	return st.p, exited, st.err
}

// connectUntilExit is connect, but gives up at once if the server exits.
func connectUntilExit(cfg *mysql.Config, via string, stop func(), exited <-chan struct{}) (*server, error) {
	type result struct {
		s   *server
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := connect(cfg, via, stop, startTimeout)
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		return r.s, r.err
	case <-exited:
		return nil, errors.New("mariadbd exited during startup")
	}
}

// stopProcess asks the server's process group to shut down and kills it if
// it has not exited after a few seconds.
func stopProcess(p *os.Process, exited <-chan struct{}) {
	signalGroup(p, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		signalGroup(p, syscall.SIGKILL)
		<-exited
	}
}

// removeStaleDirs deletes private-server directories whose owning test
// binary is gone (killed before it could call Stop).
func removeStaleDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(d, "pid")); err == nil {
			if spid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && processAlive(spid) {
				continue // its server is somehow still running; leave it be
			}
		}
		os.RemoveAll(d)
	}
}

func tail(b []byte, n int) []byte {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return b
}
