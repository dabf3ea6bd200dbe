using Envoy.Config.Core.V3;

namespace Bridge.Core.Xds;

/// <summary>The <c>control_plane</c> identifier on every response, so a proxy's config dump names who sent it.</summary>
internal static class ControlPlaneIdentity
{
    public static ControlPlane Value { get; } = new()
    {
        Identifier = $"consul-xds-bridge/{typeof(ControlPlaneIdentity).Assembly.GetName().Version?.ToString(3)}@{Environment.MachineName}",
    };
}
