package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		args []string
		want options
	}{
		{[]string{"127.0.0.1:1"}, options{engineAddress: "127.0.0.1:1"}},
		{[]string{"--logtostderr", "-v=9", "--tracing", "http://t", "127.0.0.1:2"},
			options{logToStderr: true, verbose: 9, engineAddress: "127.0.0.1:2"}},
		{[]string{"-logtostderr=false", "-v", "3", "-typescript=false", "-tsconfig", "x.json", "127.0.0.1:3"},
			options{verbose: 3, engineAddress: "127.0.0.1:3"}},
		{[]string{}, options{}},
	}
	for _, c := range cases {
		if got := parseArgs(c.args); got != c.want {
			t.Errorf("parseArgs(%q) = %+v, want %+v", c.args, got, c.want)
		}
	}
}

func TestSplitWords(t *testing.T) {
	cases := map[string][]string{
		"":           nil,
		"  --a  -b ": {"--a", "-b"},
		`--max-old-space-size=4096 "a b" 'c "d"' e\ f`: {"--max-old-space-size=4096", "a b", `c "d"`, "e f"},
		`"x\"y" ''`: {`x"y`, ""},
	}
	for in, want := range cases {
		got, err := splitWords(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := splitWords(`"open`); err == nil {
		t.Error("splitWords accepted an unterminated quote")
	}
}

func programInfo(t *testing.T, dir string, opts map[string]any) *pulumirpc.ProgramInfo {
	t.Helper()
	s, err := structpb.NewStruct(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &pulumirpc.ProgramInfo{RootDirectory: dir, ProgramDirectory: dir, EntryPoint: ".", Options: s}
}

func TestPlanLaunch(t *testing.T) {
	engineArgs := []string{"--logtostderr", "-v=9", "127.0.0.1:7"}

	policy, err := planLaunch(&pulumirpc.RunPluginRequest{
		Pwd: "/work", Args: engineArgs, Env: []string{"A=1"}, Kind: "analyzer",
		Info: programInfo(t, "/packs/p", map[string]any{"nodeargs": "--no-warnings", "tsconfig": "tsconfig.x.json"}),
	}, []string{"IGNORED=1"})
	if err != nil {
		t.Fatal(err)
	}
	if policy.module != policyPackRunner || policy.dir != "/packs/p" {
		t.Errorf("policy pack: module %q dir %q", policy.module, policy.dir)
	}
	wantArgs := []string{"--no-warnings", "/r.js", "--logtostderr=true", "-v=9", "127.0.0.1:7", "/packs/p"}
	if got := policy.args("/r.js"); !reflect.DeepEqual(got, wantArgs) {
		t.Errorf("policy pack args %q, want %q", got, wantArgs)
	}
	wantEnv := []string{"A=1", "PULUMI_NODEJS_TYPESCRIPT=true", "PULUMI_NODEJS_TSCONFIG_PATH=tsconfig.x.json"}
	if !reflect.DeepEqual(policy.env, wantEnv) {
		t.Errorf("policy pack env %q, want %q", policy.env, wantEnv)
	}

	plugin, err := planLaunch(&pulumirpc.RunPluginRequest{
		Pwd: "/work", Args: []string{"127.0.0.1:7"}, Kind: "resource",
		Info: programInfo(t, "/plugins/q", map[string]any{"typescript": false}),
	}, []string{"B=2"})
	if err != nil {
		t.Fatal(err)
	}
	if plugin.module != pluginRunner || plugin.dir != "/work" || !reflect.DeepEqual(plugin.env, []string{"B=2"}) {
		t.Errorf("plugin: module %q dir %q env %q", plugin.module, plugin.dir, plugin.env)
	}
	if got, want := plugin.args("/r.js"), []string{"/r.js", "/plugins/q", "127.0.0.1:7"}; !reflect.DeepEqual(got, want) {
		t.Errorf("plugin args %q, want %q", got, want)
	}

	if _, err := planLaunch(&pulumirpc.RunPluginRequest{
		Kind: "analyzer", Info: programInfo(t, "/p", map[string]any{"typescript": "yes"}),
	}, nil); err == nil {
		t.Error("planLaunch accepted a non-boolean typescript option")
	}
}

// fakeInner stands for the v3.68 language host: it lacks GetRequiredPackages, Handshake and RunPlugin.
type fakeInner struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
}

func (fakeInner) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: "3.68.0"}, nil
}

func (fakeInner) Run(_ context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetStack() == "bad" {
		return nil, status.Error(codes.FailedPrecondition, "bad stack")
	}
	return &pulumirpc.RunResponse{Error: "ran " + req.GetStack()}, nil
}

func (fakeInner) InstallDependencies(
	_ *pulumirpc.InstallDependenciesRequest, s grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	for _, line := range []string{"one\n", "two\n"} {
		if err := s.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(line)}); err != nil {
			return err
		}
	}
	return nil
}

func serve(t *testing.T, register func(*grpc.Server)) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	register(srv)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// proxyClient serves a proxy in front of fakeInner and returns a client of the proxy.
func proxyClient(t *testing.T) pulumirpc.LanguageRuntimeClient {
	t.Helper()
	innerConn := serve(t, func(s *grpc.Server) { pulumirpc.RegisterLanguageRuntimeServer(s, fakeInner{}) })
	p := newProxy(pulumirpc.NewLanguageRuntimeClient(innerConn), logger{})
	return pulumirpc.NewLanguageRuntimeClient(serve(t, func(s *grpc.Server) {
		pulumirpc.RegisterLanguageRuntimeServer(s, p)
	}))
}

func TestForwarding(t *testing.T) {
	ctx := context.Background()
	c := proxyClient(t)

	if info, err := c.GetPluginInfo(ctx, &emptypb.Empty{}); err != nil || info.GetVersion() != "3.68.0" {
		t.Errorf("GetPluginInfo = %v, %v", info, err)
	}
	if resp, err := c.Run(ctx, &pulumirpc.RunRequest{Stack: "dev"}); err != nil || resp.GetError() != "ran dev" {
		t.Errorf("Run = %v, %v", resp, err)
	}
	_, err := c.Run(ctx, &pulumirpc.RunRequest{Stack: "bad"})
	if st := status.Convert(err); st.Code() != codes.FailedPrecondition || st.Message() != "bad stack" {
		t.Errorf("Run error = %v", err)
	}
	_, err = c.GetRequiredPackages(ctx, &pulumirpc.GetRequiredPackagesRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("GetRequiredPackages error = %v, want Unimplemented", err)
	}
	_, err = c.Handshake(ctx, &pulumirpc.LanguageHandshakeRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("Handshake error = %v, want Unimplemented", err)
	}

	stream, err := c.InstallDependencies(ctx, &pulumirpc.InstallDependenciesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(msg.GetStdout()))
	}
	if !reflect.DeepEqual(got, []string{"one\n", "two\n"}) {
		t.Errorf("InstallDependencies streamed %q", got)
	}
}

// fakeSDK writes a program directory whose node_modules holds stand-ins for the @pulumi/pulumi runners.
func fakeSDK(t *testing.T, policyRunner string) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "pack")
	runner := filepath.Join(root, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack")
	for _, d := range []string{dir, runner} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(runner, "index.js"), []byte(policyRunner), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

type pluginResult struct {
	stdout, stderr string
	exitCode       int32
	gotExit        bool
	err            error
}

func runPlugin(ctx context.Context, t *testing.T, c pulumirpc.LanguageRuntimeClient, dir string) pluginResult {
	t.Helper()
	stream, err := c.RunPlugin(ctx, &pulumirpc.RunPluginRequest{
		Pwd: "/", Args: []string{"--logtostderr", "127.0.0.1:9"}, Env: append(os.Environ(), "MARK=ok"),
		Kind: "analyzer", Info: programInfo(t, dir, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	var r pluginResult
	for {
		msg, err := stream.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.err = err
			}
			return r
		}
		switch out := msg.GetOutput().(type) {
		case *pulumirpc.RunPluginResponse_Stdout:
			r.stdout += string(out.Stdout)
		case *pulumirpc.RunPluginResponse_Stderr:
			r.stderr += string(out.Stderr)
		case *pulumirpc.RunPluginResponse_Exitcode:
			r.exitCode, r.gotExit = out.Exitcode, true
		}
	}
}

func TestRunPluginPolicyPack(t *testing.T) {
	dir := fakeSDK(t, `
console.log("4242");
console.log(JSON.stringify({ args: process.argv.slice(2), cwd: process.cwd(), mark: process.env.MARK,
  ts: process.env.PULUMI_NODEJS_TYPESCRIPT }));
console.error("to stderr");
process.exitCode = 3;
`)
	r := runPlugin(context.Background(), t, proxyClient(t), dir)
	if r.err != nil || !r.gotExit || r.exitCode != 3 {
		t.Fatalf("result %+v", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if lines[0] != "4242" {
		t.Errorf("first stdout line %q, want the port", lines[0])
	}
	want := `{"args":["--logtostderr=true","127.0.0.1:9","` + dir + `"],"cwd":"` + dir + `","mark":"ok","ts":"true"}`
	if len(lines) < 2 || lines[1] != want {
		t.Errorf("stdout %q, want second line %s", r.stdout, want)
	}
	if r.stderr != "to stderr\n" {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestRunPluginWithoutSDK(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	dir := t.TempDir()
	r := runPlugin(context.Background(), t, proxyClient(t), dir)
	if r.err != nil || !r.gotExit || r.exitCode != 1 {
		t.Fatalf("result %+v", r)
	}
	// The engine looks for this text to say that the pack's dependencies are not installed.
	if !strings.Contains(r.stderr, "Cannot find module '@pulumi/pulumi/cmd/run-policy-pack'") {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestRunPluginCancelStopsTheProgram(t *testing.T) {
	dir := fakeSDK(t, `
require("fs").writeFileSync(process.argv[process.argv.length - 1] + "/pid", String(process.pid));
console.log("4242");
setInterval(() => {}, 1000);
`)
	ctx, cancel := context.WithCancel(context.Background())
	c := proxyClient(t)
	done := make(chan pluginResult, 1)
	go func() { done <- runPlugin(ctx, t, c, dir) }()

	pidFile := filepath.Join(dir, "pid")
	var pid int
	for deadline := time.Now().Add(20 * time.Second); pid == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the plugin did not start")
		}
		if b, err := os.ReadFile(pidFile); err == nil && len(b) > 0 {
			if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				pid = n
			}
		}
	}
	cancel()
	if r := <-done; status.Code(r.err) != codes.Canceled {
		t.Errorf("result after cancel %+v", r)
	}
	for deadline := time.Now().Add(10 * time.Second); processAlive(pid); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("plugin process %d still runs after the stream was cancelled", pid)
		}
	}
}

// processAlive reports whether pid runs and is not a zombie (Linux: /proc; elsewhere: assume gone).
func processAlive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// When the inner host exits first, the proxy must exit at once. The engine stops a language host by
// interrupting its process group, so the inner host's exit races the proxy's own signal at every
// shutdown; when the exit won, the proxy used to wait out the whole grace period before exiting (the
// exit status had been taken off a channel that stop() waited on again), and the engine with it.
func TestInnerExitEndsTheProxyAtOnce(t *testing.T) {
	inner := filepath.Join(t.TempDir(), "inner")
	if err := os.WriteFile(inner, []byte("#!/bin/sh\necho 45678\nsleep 0.2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SMSCHANNELS_LANGHOST_INNER", inner)
	start := time.Now()
	code := make(chan int, 1)
	go func() { code <- run([]string{"127.0.0.1:1"}) }()
	select {
	case c := <-code:
		if c != 3 {
			t.Errorf("exit code %d, want the inner host's 3", c)
		}
		if elapsed := time.Since(start); elapsed > stopGrace/2 {
			t.Errorf("the proxy took %v to exit after its inner host had", elapsed)
		}
	case <-time.After(3 * stopGrace):
		t.Fatal("the proxy did not exit after its inner host had")
	}
}
