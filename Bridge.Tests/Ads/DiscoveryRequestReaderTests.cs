using System.Buffers;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;

namespace Bridge.Tests.Ads;

/// <summary>Requests read with shared name strings are exactly what the stock parser reads.</summary>
public sealed class DiscoveryRequestReaderTests
{
    private static DiscoveryRequest Sample(int names) => new()
    {
        VersionInfo = "v1",
        TypeUrl = TypeUrls.ClusterLoadAssignment,
        ResponseNonce = "7",
        Node = new Node { Id = "sidecar~10.0.0.1~web-1", Cluster = "web", UserAgentName = "envoy" },
        ErrorDetail = new Google.Rpc.Status { Code = 3, Message = "rejected" },
        ResourceNames = { Enumerable.Range(0, names).Select(i => $"service-{i}") },
    };

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(4000)]
    public void Reads_the_same_request_as_the_stock_parser(int names)
    {
        var bytes = Sample(names).ToByteArray();

        var read = DiscoveryRequestReader.Parse(new ReadOnlySequence<byte>(bytes));

        Assert.That(read, Is.EqualTo(DiscoveryRequest.Parser.ParseFrom(bytes)));
    }

    [Test]
    public void Keeps_the_order_of_names_interleaved_with_other_fields_and_keeps_unknown_fields()
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(3, WireFormat.WireType.LengthDelimited);
        output.WriteString("b");
        output.WriteTag(4, WireFormat.WireType.LengthDelimited);
        output.WriteString(TypeUrls.Cluster);
        output.WriteTag(3, WireFormat.WireType.LengthDelimited);
        output.WriteString("a");
        output.WriteTag(99, WireFormat.WireType.Varint);
        output.WriteUInt64(12345);
        output.WriteTag(3, WireFormat.WireType.Varint); // the names' field number with another wire type: unknown to both
        output.WriteUInt64(1);
        output.WriteTag(3, WireFormat.WireType.LengthDelimited);
        output.WriteString("é-ü");
        output.Flush();
        var bytes = stream.ToArray();

        var read = DiscoveryRequestReader.Parse(new ReadOnlySequence<byte>(bytes));

        var stock = DiscoveryRequest.Parser.ParseFrom(bytes);
        Assert.Multiple(() =>
        {
            Assert.That(read.ResourceNames, Is.EqualTo(new[] { "b", "a", "é-ü" }));
            Assert.That(read, Is.EqualTo(stock));
            Assert.That(read.ToByteArray(), Is.EquivalentTo(stock.ToByteArray()));
        });
    }

    [TestCase(3)]
    [TestCase(500)]
    public void The_same_name_in_two_requests_is_one_string(int names)
    {
        var first = DiscoveryRequestReader.Parse(new ReadOnlySequence<byte>(Sample(names).ToByteArray()));
        var second = DiscoveryRequestReader.Parse(new ReadOnlySequence<byte>(Sample(names).ToByteArray()));

        Assert.That(first.ResourceNames.Zip(second.ResourceNames).All(p => ReferenceEquals(p.First, p.Second)), Is.True);
    }

    [Test]
    public void A_name_read_by_another_parser_is_replaced_by_the_shared_instance_of_its_text()
    {
        var read = DiscoveryRequestReader.Parse(new ReadOnlySequence<byte>(Sample(3).ToByteArray())).ResourceNames[1];
        var parsedElsewhere = new string(read.AsSpan());
        var unknown = new string("never-listed-before".AsSpan());

        Assert.Multiple(() =>
        {
            Assert.That(DiscoveryRequestReader.Shared(parsedElsewhere), Is.SameAs(read));
            Assert.That(DiscoveryRequestReader.Shared(new string(unknown.AsSpan())), Is.SameAs(DiscoveryRequestReader.Shared(unknown)), "a new name is shared from its first sighting");
        });
    }

    [Test]
    public void A_long_list_that_differs_in_one_name_is_read_as_it_is()
    {
        var known = Sample(500);
        DiscoveryRequestReader.Parse(new ReadOnlySequence<byte>(known.ToByteArray()));
        var changed = Sample(500);
        changed.ResourceNames[250] = "service-x";
        var reordered = Sample(500);
        (reordered.ResourceNames[0], reordered.ResourceNames[1]) = (reordered.ResourceNames[1], reordered.ResourceNames[0]);

        Assert.Multiple(() =>
        {
            Assert.That(DiscoveryRequestReader.Parse(new ReadOnlySequence<byte>(changed.ToByteArray())).ResourceNames, Is.EqualTo(changed.ResourceNames));
            Assert.That(DiscoveryRequestReader.Parse(new ReadOnlySequence<byte>(reordered.ToByteArray())).ResourceNames, Is.EqualTo(reordered.ResourceNames));
        });
    }

    [Test]
    public void Reads_a_request_split_over_several_buffers()
    {
        var bytes = Sample(50).ToByteArray();
        var first = new Segment(bytes.AsMemory(0, 100));
        var last = first.Append(bytes.AsMemory(100));

        var read = DiscoveryRequestReader.Parse(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length));

        Assert.That(read, Is.EqualTo(Sample(50)));
    }

    [Test]
    public void Malformed_bytes_fail_as_the_stock_parser_fails()
    {
        var bytes = Sample(5).ToByteArray();
        var truncated = bytes[..^3];
        byte[] badVarint = [0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];

        Assert.Multiple(() =>
        {
            Assert.That(() => DiscoveryRequestReader.Parse(new ReadOnlySequence<byte>(truncated)), Throws.InstanceOf<InvalidProtocolBufferException>());
            Assert.That(() => DiscoveryRequestReader.Parse(new ReadOnlySequence<byte>(badVarint)), Throws.InstanceOf<InvalidProtocolBufferException>());
        });
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
