namespace Bridge.DevAgent.Filtering;

/// <summary>The match operators of Consul's filter language (go-bexpr v0.1.2 <c>MatchOperator</c>), named as its errors name them.</summary>
internal enum MatchOperator
{
    Equal,
    NotEqual,
    In,
    NotIn,
    IsEmpty,
    IsNotEmpty,
    Matches,
    NotMatches,
}

/// <summary>A parsed filter expression.</summary>
internal abstract record FilterExpression;

/// <summary><c>not &lt;operand&gt;</c>.</summary>
internal sealed record NotExpression(FilterExpression Operand) : FilterExpression;

/// <summary><c>&lt;left&gt; and|or &lt;right&gt;</c>; both associate to the right, as the grammar builds them.</summary>
internal sealed record BinaryExpression(FilterExpression Left, bool IsAnd, FilterExpression Right) : FilterExpression;

/// <summary>
/// One comparison: a selector (<c>Service.Meta.version</c> is <c>["Service", "Meta", "version"]</c>), an operator and
/// the raw value as written (null for <c>is empty</c>). <c>"v1" in Service.Tags</c> and <c>Service.Tags contains "v1"</c>
/// parse to the same match.
/// </summary>
internal sealed record MatchExpression(IReadOnlyList<string> Selector, MatchOperator Operator, string? Value) : FilterExpression
{
    /// <summary>The selector as bexpr prints it in errors: its parts joined with dots.</summary>
    public string SelectorText => string.Join('.', Selector);
}

internal static class MatchOperatorNames
{
    /// <summary>go-bexpr's <c>MatchOperator.String</c>.</summary>
    public static string Name(this MatchOperator op) => op switch
    {
        MatchOperator.Equal => "Equal",
        MatchOperator.NotEqual => "Not Equal",
        MatchOperator.In => "In",
        MatchOperator.NotIn => "Not In",
        MatchOperator.IsEmpty => "Is Empty",
        MatchOperator.IsNotEmpty => "Is Not Empty",
        MatchOperator.Matches => "Matches",
        _ => "Not Matches",
    };
}
