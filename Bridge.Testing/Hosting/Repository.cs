namespace Bridge.Testing.Hosting;

/// <summary>The checkout the running code was built from, and the builds in it.</summary>
public static class Repository
{
    /// <summary>The folder above the running assembly that holds <c>bridge.sln</c>.</summary>
    public static string Root { get; } = Find();

    /// <summary>
    /// The build configuration whose binaries are run: <c>BRIDGE_CONFIGURATION</c> when set (as the conformance suite
    /// reads it), else the running assembly's own.
    /// </summary>
    public static string Configuration { get; } =
        Environment.GetEnvironmentVariable("BRIDGE_CONFIGURATION") is { Length: > 0 } configured ? configured
        : AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug"
        : "Release";

    /// <summary>The daemon of that build, <c>Bridge.Daemon/bin/&lt;configuration&gt;/net10.0/consul-xds-bridge.dll</c>.</summary>
    /// <exception cref="FileNotFoundException">It was not built.</exception>
    public static string Daemon
    {
        get
        {
            var dll = Path.Combine(Root, "Bridge.Daemon", "bin", Configuration, "net10.0", "consul-xds-bridge.dll");
            return File.Exists(dll) ? dll
                : throw new FileNotFoundException($"{dll} does not exist. Build first: dotnet build bridge.sln -c {Configuration}");
        }
    }

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "bridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no bridge.sln above {AppContext.BaseDirectory}");
    }
}
