namespace Bridge.Core.Xds;

/// <summary>The two kinds of xDS client the bridge serves; each gets resources shaped for what it supports.</summary>
public enum ClientKind
{
    /// <summary>An Envoy proxy: wildcard LDS/CDS, one outbound listener for all services.</summary>
    Envoy,

    /// <summary>A proxyless gRPC application: listeners and routes requested by service name.</summary>
    Grpc,
}
