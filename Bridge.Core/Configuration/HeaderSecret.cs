namespace Bridge.Core.Configuration;

/// <summary>Secrets that travel in an HTTP header: Consul's ACL token, the tokens proxies present to ADS.</summary>
public static class HeaderSecret
{
    /// <summary>Printable ASCII without spaces: anything else would be refused by, or smuggled through, a header.</summary>
    public static bool IsPlain(string value) => !value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c > '\u007e');
}
