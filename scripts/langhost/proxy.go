package main

import (
	"context"
	"errors"
	"io"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// proxy serves the LanguageRuntime service. Every call but RunPlugin goes to the inner host as it
// came; its answer, or its error with the gRPC status code unchanged (Unimplemented included, which
// the engine treats as "older language host" for several calls), goes back to the engine. Message
// fields the inner host does not know are carried through untouched by protobuf.
type proxy struct {
	pulumirpc.UnsafeLanguageRuntimeServer

	inner pulumirpc.LanguageRuntimeClient
	log   logger
	// node is the Node.js executable RunPlugin runs plugins with ("node", found on PATH).
	node string
}

var _ pulumirpc.LanguageRuntimeServer = (*proxy)(nil)

func newProxy(inner pulumirpc.LanguageRuntimeClient, log logger) *proxy {
	return &proxy{inner: inner, log: log, node: "node"}
}

// forward makes one unary call to the inner host.
func forward[Req, Resp any](
	p *proxy, ctx context.Context, method string,
	call func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req,
) (Resp, error) {
	resp, err := call(ctx, req)
	if err != nil {
		p.log.logf(7, "%s: inner host answered %v", method, status.Code(err))
	} else {
		p.log.logf(9, "%s: forwarded", method)
	}
	return resp, err
}

// forwardStream relays a server stream of the inner host to the engine.
func forwardStream[Resp any](
	p *proxy, method string, client grpc.ServerStreamingClient[Resp], server grpc.ServerStreamingServer[Resp],
) error {
	for {
		msg, err := client.Recv()
		if errors.Is(err, io.EOF) {
			p.log.logf(9, "%s: stream forwarded", method)
			return nil
		}
		if err != nil {
			p.log.logf(7, "%s: inner host answered %v", method, status.Code(err))
			return err
		}
		if err := server.Send(msg); err != nil {
			return err
		}
	}
}

func (p *proxy) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	return forward(p, ctx, "Handshake", p.inner.Handshake, req)
}

func (p *proxy) GetRequiredPlugins( //nolint:staticcheck // deprecated, but older engines and hosts use it
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return forward(p, ctx, "GetRequiredPlugins", p.inner.GetRequiredPlugins, req) //nolint:staticcheck
}

func (p *proxy) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return forward(p, ctx, "GetRequiredPackages", p.inner.GetRequiredPackages, req)
}

func (p *proxy) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	return forward(p, ctx, "Run", p.inner.Run, req)
}

func (p *proxy) GetPluginInfo(ctx context.Context, req *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return forward(p, ctx, "GetPluginInfo", p.inner.GetPluginInfo, req)
}

func (p *proxy) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	client, err := p.inner.InstallDependencies(server.Context(), req)
	if err != nil {
		return err
	}
	return forwardStream(p, "InstallDependencies", client, server)
}

func (p *proxy) RuntimeOptionsPrompts(
	ctx context.Context, req *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return forward(p, ctx, "RuntimeOptionsPrompts", p.inner.RuntimeOptionsPrompts, req)
}

func (p *proxy) Template(ctx context.Context, req *pulumirpc.TemplateRequest) (*pulumirpc.TemplateResponse, error) {
	return forward(p, ctx, "Template", p.inner.Template, req)
}

func (p *proxy) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	return forward(p, ctx, "About", p.inner.About, req)
}

func (p *proxy) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return forward(p, ctx, "GetProgramDependencies", p.inner.GetProgramDependencies, req)
}

func (p *proxy) GenerateProgram(
	ctx context.Context, req *pulumirpc.GenerateProgramRequest,
) (*pulumirpc.GenerateProgramResponse, error) {
	return forward(p, ctx, "GenerateProgram", p.inner.GenerateProgram, req)
}

func (p *proxy) GenerateProject(
	ctx context.Context, req *pulumirpc.GenerateProjectRequest,
) (*pulumirpc.GenerateProjectResponse, error) {
	return forward(p, ctx, "GenerateProject", p.inner.GenerateProject, req)
}

func (p *proxy) GeneratePackage(
	ctx context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	return forward(p, ctx, "GeneratePackage", p.inner.GeneratePackage, req)
}

func (p *proxy) Pack(ctx context.Context, req *pulumirpc.PackRequest) (*pulumirpc.PackResponse, error) {
	return forward(p, ctx, "Pack", p.inner.Pack, req)
}

func (p *proxy) Link(ctx context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	return forward(p, ctx, "Link", p.inner.Link, req)
}

func (p *proxy) Cancel(ctx context.Context, req *emptypb.Empty) (*emptypb.Empty, error) {
	return forward(p, ctx, "Cancel", p.inner.Cancel, req)
}
