namespace Bridge.Core.Configuration;

/// <summary>
/// An immutable list that compares by content, item by item in order. Options records store their lists as one,
/// so that two snapshots bound from the same configuration are equal and a reload that changed nothing is seen as
/// such (a record compares a plain list by reference).
/// </summary>
public sealed class EquatableList<T> : IReadOnlyList<T>, IEquatable<EquatableList<T>>
{
    public static EquatableList<T> Empty { get; } = new([]);

    private readonly ImmutableArray<T> _items;

    private EquatableList(ImmutableArray<T> items) => _items = items;

    /// <summary>The items as an equatable list; null is the empty list.</summary>
    public static EquatableList<T> From(IEnumerable<T>? items) => items switch
    {
        null => Empty,
        EquatableList<T> list => list,
        _ => ImmutableArray.CreateRange(items) is { Length: > 0 } array ? new(array) : Empty,
    };

    public T this[int index] => _items[index];

    public int Count => _items.Length;

    public bool Equals(EquatableList<T>? other) =>
        other is not null && _items.AsSpan().SequenceEqual(other._items.AsSpan(), EqualityComparer<T>.Default);

    public override bool Equals(object? obj) => Equals(obj as EquatableList<T>);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => "[" + string.Join(", ", _items) + "]";
}
