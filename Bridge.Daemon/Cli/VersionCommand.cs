namespace Bridge.Daemon.Cli;

/// <summary><c>--version</c>: the informational version, which carries the commit the binary was built from.</summary>
internal static class VersionCommand
{
    public static string Version { get; } =
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(VersionCommand).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    public static void Write(TextWriter output) => output.WriteLine($"consul-xds-bridge {Version}");
}
