using System.Net;
using System.Net.Sockets;

namespace StageStream.Tests.Infrastructure;

/// <summary>
/// Loopback ports for servers a test starts later (child apps, redis-server, PostgreSQL, nginx) or for nothing at all.
/// They come from below the kernel's ephemeral range, which a bind to port 0 or an outgoing connection never uses,
/// so no other test can take a port between its choice here and the child's own bind, however long that takes.
/// </summary>
public static class FreePorts
{
    private const int Lowest = 20000;
    private static int _next = Lowest + Random.Shared.Next(4000);

    public static int Next()
    {
        var end = EphemeralStart();
        for (var tries = 0; tries < end - Lowest; tries++)
        {
            var port = Interlocked.Increment(ref _next);
            if (port >= end)
            {
                Interlocked.CompareExchange(ref _next, Lowest, port);
                continue;
            }
            if (IsFree(port))
            {
                return port;
            }
        }
        throw new InvalidOperationException($"No free loopback port between {Lowest} and {end}.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The first port of the kernel's ephemeral range (Linux's default if it cannot be read).</summary>
    private static int EphemeralStart()
    {
        const string path = "/proc/sys/net/ipv4/ip_local_port_range";
        return File.Exists(path) && int.TryParse(File.ReadAllText(path).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0], out var start)
            && start > Lowest + 1000
            ? start
            : 32768;
    }
}
