using System.Collections;

namespace Bridge.DevAgent.Filtering;

/// <summary>
/// A <c>?filter=</c> expression checked against the fields of the type it filters and ready to run, as go-bexpr v0.1.2's
/// <c>CreateFilter(expression, nil, dataType)</c> (the version Consul pins) builds it:
/// <list type="bullet">
/// <item>Creation validates each selector against the type's fields (<c>Selector "Service.Foo" is not valid</c>), each
/// operator against the field (<c>Invalid match operator "Matches" for selector "Service.Port"</c>), coerces each
/// value (<c>Failed to coerce value "x" for selector "Service.Port": strconv.ParseInt: ...</c>) and compiles each
/// regular expression; every failure reads <c>Failed to create boolean expression evaluator: ...</c>.</item>
/// <item>A selector through a slice of structs (<c>Checks.Status</c>) matches when any element matches.</item>
/// <item>A map key that is absent makes <c>==</c>, <c>is not empty</c> and <c>in</c> false and every other operator true
/// (<c>not matches</c> and <c>matches</c> alike).</item>
/// <item><c>matches</c> is an unanchored RE2 search.</item>
/// </list>
/// </summary>
internal sealed class Filter
{
    private const string CreateFailed = "Failed to create boolean expression evaluator: ";

    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    private readonly Node _root;
    private readonly FilterField _schema;

    private Filter(Node root, FilterField schema)
    {
        _root = root;
        _schema = schema;
    }

    /// <summary>Parses and validates an expression for elements of <paramref name="schema"/>; null for an empty expression (no filter).</summary>
    /// <exception cref="FilterException">Consul would refuse it; the message is Consul's.</exception>
    public static Filter? Create(string? expression, FilterField schema)
    {
        if (string.IsNullOrEmpty(expression))
        {
            return null;
        }

        try
        {
            return new Filter(Compile(FilterParser.Parse(expression), schema), schema);
        }
        catch (FilterException ex)
        {
            throw new FilterException(CreateFailed + ex.Message);
        }
    }

    /// <summary>Whether one element passes the filter.</summary>
    public bool Matches(object element) => Evaluate(_root, element);

    private bool Evaluate(Node node, object element) => node switch
    {
        NotNode not => !Evaluate(not.Operand, element),
        AndNode and => Evaluate(and.Left, element) && Evaluate(and.Right, element),
        OrNode or => Evaluate(or.Left, element) || Evaluate(or.Right, element),
        MatchNode match => EvaluateMatch(match, 0, element, _schema),
        _ => false,
    };

    // bexpr evaluateMatchExpressionRecurse: walk the selector, then apply the operator to what it reached.
    private static bool EvaluateMatch(MatchNode match, int depth, object? value, FilterField field)
    {
        var selector = match.Expression.Selector;
        if (depth >= selector.Count)
        {
            return Apply(match, value, field.Kind);
        }

        return field.Kind switch
        {
            FieldKind.Object => value is not null && EvaluateMatch(match, depth + 1, field.Fields![selector[depth]].Get(value), field.Fields[selector[depth]]),
            FieldKind.ObjectList => AnyElement(match, depth, value, field),
            FieldKind.StringMap or FieldKind.ObjectMap => ThroughMap(match, depth, value, field),
            _ => false,
        };
    }

    // Selection through a slice is an "any" over its elements, at the same depth.
    private static bool AnyElement(MatchNode match, int depth, object? value, FilterField field)
    {
        var element = FilterField.Root(field.Fields!);
        foreach (var item in (IEnumerable?)value ?? Array.Empty<object>())
        {
            if (EvaluateMatch(match, depth, item, element))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ThroughMap(MatchNode match, int depth, object? value, FilterField field)
    {
        var key = match.Expression.Selector[depth];
        object? found = null;
        var present = value switch
        {
            IReadOnlyDictionary<string, string> strings when strings.TryGetValue(key, out var s) => (found = s) is not null,
            IReadOnlyDictionary<string, object> objects when objects.TryGetValue(key, out var o) => (found = o) is not null,
            _ => false,
        };

        // A missing key: nothing equals it or contains anything; everything else holds.
        return present
            ? EvaluateMatch(match, depth + 1, found, field.Fields![FilterField.AnyKey])
            : match.Expression.Operator is not (MatchOperator.Equal or MatchOperator.IsNotEmpty or MatchOperator.In);
    }

    private static bool Apply(MatchNode match, object? value, FieldKind kind)
    {
        var result = match.Expression.Operator switch
        {
            MatchOperator.Equal or MatchOperator.NotEqual => Equal(match.Value, value, kind),
            MatchOperator.In or MatchOperator.NotIn => Contains(match.Value, value, kind),
            MatchOperator.IsEmpty or MatchOperator.IsNotEmpty => Count(value) == 0,
            _ => match.Regex!.IsMatch(value as string ?? string.Empty),
        };
        return match.Expression.Operator is MatchOperator.NotEqual or MatchOperator.NotIn or MatchOperator.IsNotEmpty or MatchOperator.NotMatches
            ? !result
            : result;
    }

    private static bool Equal(object? expected, object? value, FieldKind kind) => kind switch
    {
        FieldKind.Int => value is long l && expected is long e && l == e,
        FieldKind.Bool => value is bool b && expected is bool e && b == e,
        _ => string.Equals(value as string ?? string.Empty, expected as string, StringComparison.Ordinal),
    };

    private static bool Contains(object? expected, object? value, FieldKind kind)
    {
        var wanted = expected as string ?? string.Empty;
        return kind switch
        {
            FieldKind.String => (value as string ?? string.Empty).Contains(wanted, StringComparison.Ordinal),
            FieldKind.StringList => value is IReadOnlyList<string> list && list.Contains(wanted, StringComparer.Ordinal),
            FieldKind.StringMap => value is IReadOnlyDictionary<string, string> map && map.ContainsKey(wanted),
            FieldKind.ObjectMap => value is IReadOnlyDictionary<string, object> objects && objects.ContainsKey(wanted),
            _ => false,
        };
    }

    private static int Count(object? value) => value switch
    {
        null => 0,
        ICollection collection => collection.Count,
        IReadOnlyCollection<string> strings => strings.Count,
        IReadOnlyCollection<KeyValuePair<string, string>> pairs => pairs.Count,
        IEnumerable<object> items => items.Count(),
        _ => 0,
    };

    private static Node Compile(FilterExpression expression, FilterField schema) => expression switch
    {
        NotExpression not => new NotNode(Compile(not.Operand, schema)),
        BinaryExpression { IsAnd: true } and => new AndNode(Compile(and.Left, schema), Compile(and.Right, schema)),
        BinaryExpression or => new OrNode(Compile(or.Left, schema), Compile(or.Right, schema)),
        MatchExpression match => CompileMatch(match, schema),
        _ => throw new FilterException("Cannot validate: Invalid AST"),
    };

    // bexpr validateRecurse for one match expression.
    private static MatchNode CompileMatch(MatchExpression match, FilterField schema)
    {
        var fields = schema.Fields;
        FilterField? last = null;
        for (var i = 0; i < match.Selector.Count; i++)
        {
            if (fields is not null && (fields.TryGetValue(match.Selector[i], out var field) || fields.TryGetValue(FilterField.AnyKey, out field)))
            {
                last = field;
                fields = field.Fields;
                continue;
            }

            throw new FilterException($"Selector {GoStrconv.Quote(string.Join('.', match.Selector.Take(i + 1)))} is not valid");
        }

        var selector = GoStrconv.Quote(match.SelectorText);
        if (!last!.Supports(match.Operator))
        {
            throw new FilterException($"Invalid match operator {GoStrconv.Quote(match.Operator.Name())} for selector {selector}");
        }

        object? value = null;
        Regex? regex = null;
        if (match.Value is { } raw)
        {
            try
            {
                value = last.Coerce(raw);
            }
            catch (FormatException ex)
            {
                throw new FilterException($"Failed to coerce value {GoStrconv.Quote(raw)} for selector {selector}: {ex.Message}");
            }

            if (match.Operator is MatchOperator.Matches or MatchOperator.NotMatches)
            {
                var pattern = value as string ?? raw;
                regex = Re2.Compile(pattern, RegexTimeout)
                    ?? throw new FilterException($"Failed to compile regular expression {GoStrconv.Quote(pattern)}: {Re2.Problem(pattern)}");
            }
        }

        return new MatchNode(match, value, regex);
    }

    private abstract record Node;

    private sealed record NotNode(Node Operand) : Node;

    private sealed record AndNode(Node Left, Node Right) : Node;

    private sealed record OrNode(Node Left, Node Right) : Node;

    private sealed record MatchNode(MatchExpression Expression, object? Value, Regex? Regex) : Node;
}
