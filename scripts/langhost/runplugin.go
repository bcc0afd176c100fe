package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The plugin kind the engine sends for policy packs (apitype.AnalyzerPlugin).
const analyzerKind = "analyzer"

// The @pulumi/pulumi entry points that start a plugin program: a policy pack, or any other plugin.
const (
	policyPackRunner = "@pulumi/pulumi/cmd/run-policy-pack"
	pluginRunner     = "@pulumi/pulumi/cmd/run-plugin"
)

// runtimeOptions are the `runtime.options` of the plugin's PulumiPolicy.yaml / PulumiPlugin.yaml
// that matter to running it. The engine passes them in RunPluginRequest.info.options.
type runtimeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func parseRuntimeOptions(m map[string]any) (runtimeOptions, error) {
	opts := runtimeOptions{typescript: true}
	if v, ok := m["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return opts, errors.New("runtime option typescript must be a boolean")
		}
		opts.typescript = b
	}
	if v, ok := m["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("runtime option tsconfig must be a string")
		}
		opts.tsconfig = s
	}
	if v, ok := m["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, errors.New("runtime option nodeargs must be a string")
		}
		words, err := splitWords(s)
		if err != nil {
			return opts, fmt.Errorf("runtime option nodeargs: %w", err)
		}
		opts.nodeargs = words
	}
	return opts, nil
}

// pluginLaunch is how a plugin program is started: node's arguments after the executable, the
// working directory and the environment.
type pluginLaunch struct {
	module string // the @pulumi/pulumi entry point to resolve from the program directory
	args   func(script string) []string
	dir    string
	env    []string
}

// planLaunch works out, from the engine's request, what RunPlugin runs:
//
//	analyzer (policy pack): node [nodeargs] <run-policy-pack> <engine args...> <program dir>, in the program dir
//	any other kind:         node [nodeargs] <run-plugin> <program> <engine args...>, in the request's pwd
//
// The engine args are its logging and tracing flags followed by the engine address. run-policy-pack
// wants the engine address and then the program as its two positional arguments; run-plugin wants
// the program first. Both parse their arguments with minimist, which would take the argument after a
// bare boolean flag as its value, so --logtostderr is passed as --logtostderr=true.
func planLaunch(req *pulumirpc.RunPluginRequest, environ []string) (pluginLaunch, error) {
	info := req.GetInfo()
	programDir := info.GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetProgram() //nolint:staticcheck // what engines before ProgramInfo sent
	}
	if programDir == "" {
		return pluginLaunch{}, errors.New("the request names no plugin program")
	}
	program := programDir
	if entry := info.GetEntryPoint(); entry != "" && entry != "." {
		program = filepath.Join(programDir, entry)
	}

	opts, err := parseRuntimeOptions(info.GetOptions().AsMap())
	if err != nil {
		return pluginLaunch{}, err
	}

	env := append([]string(nil), req.GetEnv()...)
	if len(env) == 0 {
		env = append(env, environ...)
	}
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	engineArgs := make([]string, 0, len(req.GetArgs()))
	for _, a := range req.GetArgs() {
		if a == "--logtostderr" || a == "-logtostderr" {
			a = "--logtostderr=true"
		}
		engineArgs = append(engineArgs, a)
	}

	launch := pluginLaunch{env: env}
	if req.GetKind() == analyzerKind {
		launch.module = policyPackRunner
		launch.dir = programDir
		launch.args = func(script string) []string {
			args := append(append([]string(nil), opts.nodeargs...), script)
			args = append(args, engineArgs...)
			return append(args, program)
		}
	} else {
		launch.module = lookupEnv(env, "PULUMI_LANGUAGE_NODEJS_RUN_PATH")
		if launch.module == "" {
			launch.module = pluginRunner
		}
		launch.dir = req.GetPwd()
		if launch.dir == "" {
			launch.dir = programDir
		}
		launch.args = func(script string) []string {
			args := append(append([]string(nil), opts.nodeargs...), script, program)
			return append(args, engineArgs...)
		}
	}
	return launch, nil
}

// RunPlugin runs a Node.js plugin program (a policy pack, above all) and streams its stdout and
// stderr to the engine, then its exit code. Cancelling the stream (the engine does when it closes
// the plugin) terminates the program.
func (p *proxy) RunPlugin(
	req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse],
) error {
	ctx := server.Context()
	if req.GetAttachDebugger() {
		return status.Error(codes.Unimplemented, "this language host cannot start plugins under a debugger")
	}
	launch, err := planLaunch(req, os.Environ())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	node, err := exec.LookPath(p.node)
	if err != nil {
		return status.Errorf(codes.FailedPrecondition, "cannot find Node.js (%s) on PATH: %v", p.node, err)
	}
	name := req.GetName()
	if name == "" {
		name = req.GetInfo().GetProgramDirectory()
	}
	p.log.logf(5, "RunPlugin %s (%s): resolving %s", name, req.GetKind(), launch.module)

	out := &pluginOutput{server: server}
	script, resolveErr := resolveModule(ctx, node, launch.module, req.GetInfo().GetProgramDirectory(), launch.dir,
		launch.env)
	if resolveErr != nil {
		// The engine recognises "Cannot find module '@pulumi/pulumi/cmd/run-policy-pack'" on a policy
		// pack's stderr and then says the pack's dependencies are not installed.
		dir := req.GetInfo().GetProgramDirectory()
		msg := fmt.Sprintf("could not resolve %s from %s: %v\n", launch.module, dir, resolveErr)
		if resolveErr.Error() == "MODULE_NOT_FOUND" {
			msg = fmt.Sprintf("Cannot find module '%s' from %s. It looks like the Pulumi SDK has not been "+
				"installed: run npm install in %s.\n", launch.module, dir, dir)
		}
		out.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: []byte(msg)}})
		out.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: 1}})
		return out.err()
	}

	args := launch.args(script)
	p.log.logf(5, "RunPlugin %s: running %s %s in %s", name, node, strings.Join(args, " "), launch.dir)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = launch.dir
	cmd.Env = launch.env
	cmd.Stdout = streamWriter{out: out, stderr: false}
	cmd.Stderr = streamWriter{out: out, stderr: true}
	cmd.Cancel = func() error { return terminate(cmd.Process) }
	cmd.WaitDelay = stopGrace
	setParentDeathSignal(cmd)

	runErr := cmd.Run()
	if ctx.Err() != nil {
		p.log.logf(5, "RunPlugin %s: stream cancelled, plugin stopped (%v)", name, runErr)
		return status.FromContextError(ctx.Err()).Err()
	}
	code := 0
	if runErr != nil {
		var exitErr *exec.ExitError
		if !errors.As(runErr, &exitErr) {
			return status.Errorf(codes.Internal, "could not run %s: %v", node, runErr)
		}
		code = exitErr.ExitCode()
		if code < 0 { // ended by a signal
			code = 1
		}
	}
	p.log.logf(5, "RunPlugin %s: exited with code %d", name, code)
	out.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
	return out.err()
}

// resolveScript prints where require.resolve finds the module named by its argument, or the error:
// "MODULE_NOT_FOUND" when there is no such module.
const resolveScript = `try { process.stdout.write(require.resolve(process.argv[1])); } catch (e) {
  process.stderr.write(e && e.code === "MODULE_NOT_FOUND" ? "MODULE_NOT_FOUND" : String(e && e.message));
  process.exit(1);
}`

// resolveModule finds a module the way Node does from the program directory (its node_modules and
// those of every parent directory), by asking node itself.
func resolveModule(ctx context.Context, node, module, programDir, fallbackDir string, env []string) (string, error) {
	dir := programDir
	if dir == "" {
		dir = fallbackDir
	}
	cmd := exec.CommandContext(ctx, node, "-e", resolveScript, module)
	cmd.Dir = dir
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	outBytes, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", errors.New(msg)
	}
	script := strings.TrimSpace(string(outBytes))
	if script == "" {
		return "", errors.New("node resolved it to nothing")
	}
	return script, nil
}

// pluginOutput serialises the messages of one RunPlugin stream (stdout and stderr are copied by two
// goroutines; a gRPC stream takes one sender at a time). After a failed send it drops the rest, so
// that the program is never blocked on a full pipe.
type pluginOutput struct {
	server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]
	mu     sync.Mutex
	failed error
}

func (o *pluginOutput) send(msg *pulumirpc.RunPluginResponse) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failed == nil {
		o.failed = o.server.Send(msg)
	}
}

func (o *pluginOutput) err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failed
}

type streamWriter struct {
	out    *pluginOutput
	stderr bool
}

func (w streamWriter) Write(b []byte) (int, error) {
	chunk := append([]byte(nil), b...)
	if w.stderr {
		w.out.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: chunk}})
	} else {
		w.out.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: chunk}})
	}
	return len(b), nil
}

func lookupEnv(env []string, key string) string {
	value := ""
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			value = v // the last one wins, as in exec
		}
	}
	return value
}

// splitWords splits a command line the way a POSIX shell splits words: blanks separate words,
// single quotes keep everything literally, double quotes keep blanks, and a backslash escapes the
// next character (inside double quotes only \, ", $ and `).
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	const (
		plain = iota
		single
		double
	)
	state := plain
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch state {
		case single:
			if r == '\'' {
				state = plain
			} else {
				cur.WriteRune(r)
			}
		case double:
			switch {
			case r == '"':
				state = plain
			case r == '\\' && i+1 < len(rs) && strings.ContainsRune("\\\"$`", rs[i+1]):
				i++
				cur.WriteRune(rs[i])
			default:
				cur.WriteRune(r)
			}
		default:
			switch {
			case r == ' ' || r == '\t' || r == '\n':
				if inWord {
					words = append(words, cur.String())
					cur.Reset()
					inWord = false
				}
			case r == '\'':
				state, inWord = single, true
			case r == '"':
				state, inWord = double, true
			case r == '\\':
				if i+1 < len(rs) {
					i++
					cur.WriteRune(rs[i])
				}
				inWord = true
			default:
				cur.WriteRune(r)
				inWord = true
			}
		}
	}
	if state != plain {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
