// Command pulumi-language-nodejs is a proxy Node.js language host for the Pulumi CLI that
// scripts/ensure-pulumi.sh builds when the Go module proxy does not serve the current Node.js
// language host module.
//
// The engine starts it like any language host: `pulumi-language-nodejs [flags] <engine address>`,
// and reads the port of its gRPC server from the first line of its stdout. It starts the inner
// language host (the one that was a package of the sdk module until v3.68.0, installed beside it as
// pulumi-language-nodejs-inner) with the same arguments, and forwards every LanguageRuntime call
// to it, except RunPlugin: that old host does not implement it, and the engine uses it to start
// Node.js policy packs. This proxy runs those itself (see runplugin.go).
//
// stdout carries only the port (and whatever the inner host prints after its own port). Diagnostics
// go to stderr, and only when the engine asks for them with --logtostderr (the engine passes it
// with --logflow) and -v=N.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// The engine sends and accepts messages up to 400 MiB to and from plugins; so do we.
const maxMessageSize = 400 * 1024 * 1024

// innerName is the file name of the wrapped language host, looked up beside this executable.
// SMSCHANNELS_LANGHOST_INNER overrides the whole path.
const innerName = "pulumi-language-nodejs-inner"

// How long a child (the inner host, a plugin) gets between a termination signal and SIGKILL.
const stopGrace = 5 * time.Second

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	opts := parseArgs(args)
	log := logger{enabled: opts.logToStderr, verbose: opts.verbose}

	innerPath, err := locateInner()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		return 1
	}

	inner, err := startInner(innerPath, args, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not start %s: %v\n", innerPath, err)
		return 1
	}
	defer inner.stop()

	conn, err := grpc.NewClient(net.JoinHostPort("127.0.0.1", strconv.Itoa(inner.port)),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.MaxCallSendMsgSize(maxMessageSize)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not dial the inner language host: %v\n", err)
		return 1
	}
	defer conn.Close()

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: could not listen: %v\n", err)
		return 1
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(maxMessageSize), grpc.MaxSendMsgSize(maxMessageSize))
	pulumirpc.RegisterLanguageRuntimeServer(srv, newProxy(pulumirpc.NewLanguageRuntimeClient(conn), log))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()

	// The engine reads this line; it must be the first thing on stdout.
	fmt.Printf("%d\n", lis.Addr().(*net.TCPAddr).Port)
	log.logf(5, "serving on port %d, forwarding to %s on port %d",
		lis.Addr().(*net.TCPAddr).Port, innerPath, inner.port)
	// Anything the inner host prints after its port goes on to the engine, which logs it.
	go func() { _, _ = io.Copy(os.Stdout, inner.stdout) }()

	// The engine stops a language host by interrupting its process group (SIGINT, then SIGKILL).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	code := 0
	select {
	case sig := <-sigs:
		log.logf(5, "received %v; shutting down", sig)
	case <-inner.done:
		// The inner host watches the engine's health and exits when the engine has gone away. It also
		// gets the engine's SIGINT (same process group), so this case races the one above at every
		// shutdown.
		log.logf(5, "the inner language host exited (%v); shutting down", inner.waitErr)
		code = exitCodeOf(inner.waitErr)
	case err := <-served:
		if err != nil {
			fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: stopped serving: %v\n", err)
			code = 1
		}
	}
	// Stop, not GracefulStop: a RunPlugin stream of a running policy pack would hold a graceful stop
	// open forever. Stopping cancels those streams, which ends their child processes.
	srv.Stop()
	return code
}

type options struct {
	logToStderr   bool
	verbose       int
	engineAddress string
}

// parseArgs reads what the proxy itself needs from the language host command line. It does not
// reject anything: every argument also goes, unchanged, to the inner host, which validates them.
// Flags taking a value (tracing, root, tsconfig, nodeargs) may give it as the next argument.
func parseArgs(args []string) options {
	var opts options
	var positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			positional = append(positional, arg)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		switch name {
		case "logtostderr", "alsologtostderr":
			opts.logToStderr = !hasValue || value == "true" || value == "1"
		case "v":
			if !hasValue && i+1 < len(args) {
				i++
				value = args[i]
			}
			if n, err := strconv.Atoi(value); err == nil {
				opts.verbose = n
			}
		case "tracing", "root", "tsconfig", "nodeargs":
			if !hasValue && i+1 < len(args) {
				i++
			}
		}
	}
	if len(positional) > 0 {
		opts.engineAddress = positional[0]
	}
	return opts
}

type logger struct {
	enabled bool
	verbose int
}

// logf writes a diagnostic line to stderr when the engine asked for logs of at least that level.
func (l logger) logf(level int, format string, args ...any) {
	if l.enabled && l.verbose >= level {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (proxy): "+format+"\n", args...)
	}
}

func locateInner() (string, error) {
	if p := os.Getenv("SMSCHANNELS_LANGHOST_INNER"); p != "" {
		return p, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot locate this executable: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	p := filepath.Join(filepath.Dir(self), innerName)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("the inner language host %s is missing (rebuild with scripts/ensure-pulumi.sh): %w", p, err)
	}
	return p, nil
}

type innerHost struct {
	cmd    *exec.Cmd
	port   int
	stdout io.Reader // the rest of its stdout, after the port line
	// done is closed once the process has been reaped, waitErr set before. A channel that is closed,
	// not sent on, so any number of readers see it: when it carried the error as a value, the
	// shutdown that received it left nothing for stop(), which then sat out the whole grace period
	// (a 5 s stall at the end of about one command in twenty, the engine waiting on this process).
	done    chan struct{}
	waitErr error
}

// startInner runs the inner host with our own arguments and reads its port from its stdout.
func startInner(path string, args []string, log logger) (*innerHost, error) {
	cmd := exec.Command(path, args...)
	cmd.Stdin = nil
	cmd.Stderr = os.Stderr
	setParentDeathSignal(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	h := &innerHost{cmd: cmd, done: make(chan struct{})}
	reader := bufio.NewReader(out)
	line, readErr := reader.ReadString('\n')
	if readErr != nil {
		// It exited (or closed stdout) before printing a port: its stderr already says why.
		werr := cmd.Wait()
		if werr == nil {
			werr = readErr
		}
		return nil, fmt.Errorf("it printed no port (read %q): %w", line, werr)
	}
	port, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || port <= 0 || port > 65535 {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("it printed an invalid port %q", strings.TrimSpace(line))
	}
	h.port = port
	h.stdout = reader
	go func() {
		h.waitErr = cmd.Wait()
		close(h.done)
	}()
	log.logf(7, "started %s %v: port %d, pid %d", path, args, port, cmd.Process.Pid)
	return h, nil
}

// stop interrupts the inner host (the engine usually did already, through the process group) and
// kills it if it has not exited within the grace period.
func (h *innerHost) stop() {
	select {
	case <-h.done:
		return
	default:
	}
	_ = terminate(h.cmd.Process)
	select {
	case <-h.done:
	case <-time.After(stopGrace):
		_ = h.cmd.Process.Kill()
	}
}

func exitCodeOf(err error) int {
	if err == nil {
		return 0
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() > 0 {
		return exitErr.ExitCode()
	}
	return 1
}
