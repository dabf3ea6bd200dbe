using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging.Console;

namespace Bridge.DevAgent;

/// <summary>
/// Runs the dev agent on its own until Ctrl-C or SIGTERM, for tests that need an agent outliving a
/// bridge restart:
/// <c>dotnet run --project Bridge.DevAgent -- --url http://127.0.0.1:8500 [--seed file.json]</c>.
/// Once listening (and seeded) it prints one line to stdout, <c>dev agent listening on &lt;address&gt;</c>;
/// logs go to stderr.
/// </summary>
public static class Program
{
    private const string Usage =
        "usage: Bridge.DevAgent [--url http://127.0.0.1:8500] [--seed <file.json>] [--dc dc1] [--node dev-agent]\n" +
        "                       [--node-address 127.0.0.1] [--max-conns-per-client 200] [--token <required ACL token>]\n" +
        "                       [--datacenters dc1,dc2] [--primary-dc dc1]";

    /// <summary>Runs the agent; returns 0 after a clean stop, 1 when it cannot start, 2 on bad arguments.</summary>
    /// <param name="args">Command-line arguments.</param>
    public static async Task<int> Main(string[] args)
    {
        DevAgentOptions options;
        string? seedPath;
        try
        {
            (options, seedPath) = Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}\n{Usage}");
            return 2;
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(LogLevel.Information)
            .AddSimpleConsole(console => console.SingleLine = true)
            .Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace));

        DevAgentServer server;
        try
        {
            server = await DevAgentServer.StartAsync(options with { LoggerFactory = loggerFactory });
        }
        catch (Exception ex) when (ex is IOException or ArgumentException)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return ex is IOException ? 1 : 2;
        }

        await using (server)
        {
            if (seedPath is not null)
            {
                try
                {
                    var count = await server.LoadSeedAsync(seedPath, CancellationToken.None);
                    await Console.Error.WriteLineAsync($"seeded {count} registrations from {seedPath}");
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // InvalidDataException is an IOException: a refused entry stops the agent with its position.
                    await Console.Error.WriteLineAsync($"error: cannot load seed file: {ex.Message}");
                    return 1;
                }
            }

            Console.WriteLine($"dev agent listening on {server.Address.ToString().TrimEnd('/')}");
            var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            await stop.Task;

            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.TrySetResult();
            }
        }

        return 0;
    }

    private static (DevAgentOptions Options, string? SeedPath) Parse(string[] args)
    {
        var options = new DevAgentOptions();
        string? seed = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                throw new ArgumentException("help requested");
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{name} needs a value");
            }

            var value = args[++i];
            options = name switch
            {
                "--url" => options with { Url = value },
                "--dc" => options with { Datacenter = value },
                "--node" => options with { NodeName = value },
                "--node-address" => options with { NodeAddress = value },
                "--token" => options with { RequiredToken = value },
                "--datacenters" => options with { Datacenters = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--primary-dc" => options with { PrimaryDatacenter = value },
                "--max-conns-per-client" => options with
                {
                    MaxConnsPerClient = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit)
                        ? limit
                        : throw new ArgumentException($"--max-conns-per-client must be a whole number, got '{value}'"),
                },
                "--seed" => options,
                _ => throw new ArgumentException($"unknown option {name}"),
            };
            if (name == "--seed")
            {
                seed = value;
            }
        }

        return (options, seed);
    }
}
