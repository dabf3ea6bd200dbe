namespace Bridge.Testing.Consul;

/// <summary>Which Consul write a registration goes through; their rules differ.</summary>
public enum RegistrationEndpoint
{
    /// <summary><c>PUT /v1/agent/service/register</c>: the agent's checks (AgentRegisterService, validateService); refusals are 400s, tagged-address ones 500s.</summary>
    Agent,

    /// <summary><c>PUT /v1/catalog/register</c>: the server's checks (Catalog.Register); refusals are 500s.</summary>
    Catalog,
}

/// <summary>
/// One registration at or beyond the edge of what Consul accepts for one field, with what Consul does with it:
/// either it is accepted and <c>/v1/health/service/&lt;ServiceName&gt;</c> then shows <see cref="Echo"/> in the
/// entry of <see cref="ServiceId"/>, or it is refused with <see cref="RefusedStatus"/> and <see cref="RefusedText"/>.
/// </summary>
public sealed record ExtremeRegistration
{
    /// <summary>The field whose edge this is: <c>Name</c>, <c>Port</c>, <c>Weights</c>, ...</summary>
    public required string FieldClass { get; init; }

    /// <summary>What the value is and why it sits at an edge.</summary>
    public required string Description { get; init; }

    /// <summary>The write it goes through.</summary>
    public required RegistrationEndpoint Endpoint { get; init; }

    /// <summary>The service name to read back (unescaped; escape it for the URL path).</summary>
    public required string ServiceName { get; init; }

    /// <summary>The instance ID the echoed entry carries.</summary>
    public required string ServiceId { get; init; }

    /// <summary>The request body, as JSON text.</summary>
    public required string Body { get; init; }

    /// <summary>The HTTP status Consul refuses it with; null when Consul accepts it.</summary>
    public int? RefusedStatus { get; init; }

    /// <summary>Consul's whole error body, or its start when <see cref="RefusedTextIsPrefix"/> (decode errors, whose detail is Go's own wording).</summary>
    public string? RefusedText { get; init; }

    /// <summary>Whether <see cref="RefusedText"/> is only the start of the body.</summary>
    public bool RefusedTextIsPrefix { get; init; }

    /// <summary>For an accepted registration, fields of the health entry and the JSON Consul shows in them.</summary>
    public IReadOnlyList<EchoedField> Echo { get; init; } = [];

    /// <summary>Whether Consul accepts it.</summary>
    public bool Accepted => RefusedStatus is null;

    /// <summary>The path to <c>PUT</c> <see cref="Body"/> to.</summary>
    public string Path => Endpoint == RegistrationEndpoint.Agent ? "/v1/agent/service/register" : "/v1/catalog/register";

    /// <inheritdoc />
    public override string ToString() => $"{FieldClass} ({Endpoint}): {Description}";
}

/// <summary>One field of a <c>/v1/health/service</c> entry and the JSON Consul puts there.</summary>
/// <param name="Path">Property names from the entry down, e.g. <c>["Service", "Weights", "Passing"]</c>.</param>
/// <param name="Json">The expected value as JSON text; null when the property must be absent.</param>
public sealed record EchoedField(IReadOnlyList<string> Path, string? Json)
{
    /// <summary>The field's value, parsed; null when it must be absent.</summary>
    public JsonNode? Expected => Json is null ? null : JsonNode.Parse(Json);

    /// <inheritdoc />
    public override string ToString() => $"{string.Join('.', Path)} = {Json ?? "(absent)"}";
}
