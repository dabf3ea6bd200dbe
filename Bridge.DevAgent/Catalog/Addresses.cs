namespace Bridge.DevAgent.Catalog;

internal static class Addresses
{
    /// <summary>
    /// Consul's <c>ipaddr.IsAny</c> on a string: exactly <c>0.0.0.0</c>, <c>::</c> or <c>[::]</c>. Other spellings of
    /// the wildcard ("0:0:0:0:0:0:0:0") are accepted as service addresses.
    /// </summary>
    public static bool IsAny(string address) => address is "0.0.0.0" or "::" or "[::]";
}
