namespace Bridge.DevAgent.Filtering;

/// <summary>
/// A filter expression Consul would refuse. The message is go-bexpr's error text, before Consul prefixes it with
/// <c>Failed to create boolean expression evaluator: </c>.
/// </summary>
internal sealed class FilterException(string message) : Exception(message);
