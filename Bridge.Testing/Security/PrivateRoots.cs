using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Bridge.Testing.Security;

/// <summary>
/// Certificate checks for test clients and fake servers: a certificate is good when it chains to one of the test's
/// own CAs, never to the machine's roots. Revocation is not checked; test CAs publish no lists.
/// </summary>
public static class PrivateRoots
{
    /// <summary>Whether <paramref name="certificate"/> chains to one of <paramref name="roots"/>.</summary>
    public static bool Chains(X509Certificate? certificate, X509Certificate2Collection roots)
    {
        if (certificate is not X509Certificate2 presented)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="root"/>.</summary>
    public static bool Chains(X509Certificate? certificate, X509Certificate2 root) => Chains(certificate, [root]);

    /// <summary>
    /// A client's check of the server: the chain to <paramref name="roots"/>, and with <paramref name="matchName"/>
    /// also the name the client dialled, as a production client checks it.
    /// </summary>
    public static RemoteCertificateValidationCallback ServerCheck(X509Certificate2Collection roots, bool matchName = false) =>
        (_, certificate, _, errors) =>
            (!matchName || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0) && Chains(certificate, roots);
}
