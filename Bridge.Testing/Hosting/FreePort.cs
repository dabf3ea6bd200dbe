using System.Net;
using System.Net.Sockets;

namespace Bridge.Testing.Hosting;

/// <summary>A loopback TCP port that was free a moment ago: bind to port 0, read the port, let it go.</summary>
public static class FreePort
{
    /// <summary>The next such port.</summary>
    /// <returns>A port number.</returns>
    public static int Next()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
