using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using TypedNets.Generator.Tests.Infrastructure;
using Xunit;

namespace TypedNets.Generator.Tests;

/// <summary>
/// DESIGN.md's promise for declarations the generator cannot implement: "a clash that cannot be avoided is a
/// diagnostic, never a CS error inside generated code", and the generator never throws. Each row is a declaration
/// that (at the time of writing) breaks that promise: the generator throws, reports TN0999, or emits code that
/// does not compile, without a TypedNets error that tells the user what to change. A row passes once the generator
/// either supports the declaration or reports a TypedNets error for it.
/// </summary>
public class GeneratedCodeContractTests
{
    public static TheoryData<string, string> Declarations() => new()
    {
        {
            // Valid C#: a property without modifiers is private; the implementation repeats "private" explicitly,
            // and C# requires both parts to spell the accessibility the same way (CS8799).
            "layer without an accessibility modifier",
            "[Network, Input(10)] public partial class Net { [Dense(2)] partial DenseLayer Output { get; } }"
        },
        {
            // Compiles (a warning only): the params array is null, and the parser dereferences it (TN0999).
            "Input(null)",
            "[Network, Input(null)] public partial class Net { [Dense(2)] public partial DenseLayer Output { get; } }"
        },
        {
            // Valid C#: hint names are compared ignoring case, so Net.g.cs and NET.g.cs collide and AddSource
            // throws; the whole generator fails (CS8785) and no network is generated.
            "two networks whose names differ only in case",
            """
            [Network, Input(10)] public partial class Net { [Dense(2)] public partial DenseLayer Output { get; } }
            [Network, Input(10)] public partial class NET { [Dense(2)] public partial DenseLayer Output { get; } }
            """
        },
        {
            // CS0579 for the user, but the generator must not crash on it: both parts are transformed and emitted
            // under the same hint name.
            "[Network] on two parts of one class",
            """
            [Network, Input(10)] public partial class Net { [Dense(2)] public partial DenseLayer Output { get; } }
            [Network] public partial class Net { }
            """
        },
        {
            // Valid C#: the emitter writes the symbol's Name ("event") without its '@'.
            "network named with a keyword",
            "[Network, Input(10)] public partial class @event { [Dense(2)] public partial DenseLayer Output { get; } }"
        },
        {
            "layer named with a keyword",
            "[Network, Input(10)] public partial class Net { [Dense(2)] public partial DenseLayer @default { get; } }"
        },
        {
            // The nested Engine<T> cannot share its enclosing type's name (CS0542).
            "network named Engine",
            "[Network, Input(10)] public partial class Engine { [Dense(2)] public partial DenseLayer Output { get; } }"
        },
        {
            "network named Sample",
            "[Network, Input(10)] public partial class Sample { [Dense(2)] public partial DenseLayer Output { get; } }"
        },
        {
            // The clash check skips every method ("methods may overload generated methods"), but a method cannot
            // share a name with a constant (CS0102) ...
            "user method named like a generated constant",
            "[Network, Input(10)] public partial class Net { [Dense(2)] public partial DenseLayer Output { get; } public string Summary() => string.Empty; }"
        },
        {
            // ... nor repeat a generated method's signature (CS0111) ...
            "user method with a generated method's signature",
            "[Network, Input(10)] public partial class Net { [Dense(2)] public partial DenseLayer Output { get; } public void ZeroGradients() { } }"
        },
        {
            // ... nor the generated constructor's.
            "user constructor with the generated constructor's signature",
            "[Network, Input(10)] public partial class Net { [Dense(2)] public partial DenseLayer Output { get; } public Net(int size, ulong seed) { _ = size; _ = seed; } }"
        },
        {
            // The user wrote the implementing part too; the generator adds a second one (CS9251, CS0102).
            "layer property implemented by the user",
            "[Network, Input(10)] public partial class Net { [Dense(2)] public partial DenseLayer Output { get; } public partial DenseLayer Output => null!; }"
        },
        {
            // Valid C#: the generated constructor lacks the required this(...) initializer (CS8862).
            "network with a primary constructor",
            "[Network, Input(10)] public partial class Net(int size) { [Dense(2)] public partial DenseLayer Output { get; } public int Size => size; }"
        },
        {
            // Valid C#: the generated constructor calls base(), which does not exist (CS7036).
            "base class without a parameterless constructor",
            "public abstract class Base(int size) { public int Size => size; } [Network, Input(10)] public partial class Net : Base { [Dense(2)] public partial DenseLayer Output { get; } }"
        },
        {
            // Valid C#: the generated Parameters hides the inherited one without 'new' (warning CS0108).
            "base class member named like a generated member",
            "public class Base { public int Parameters => 0; } [Network, Input(10)] public partial class Net : Base { [Dense(2)] public partial DenseLayer Output { get; } }"
        },
        {
            // Valid C#: both parts of a partial property must carry the same virtual/new modifiers (CS8800).
            "virtual layer property",
            "[Network, Input(10)] public partial class Net { [Dense(2)] public virtual partial DenseLayer Output { get; } }"
        },
        {
            "layer property hiding a base member with new",
            "public class Base { public int Output => 0; } [Network, Input(10)] public partial class Net : Base { [Dense(2)] public new partial DenseLayer Output { get; } }"
        },
        {
            // Valid C#: the generated part, in another file and without 'file', declares a different type (CS9249).
            "file-local network",
            "[Network, Input(10)] file partial class Net { [Dense(2)] public partial DenseLayer Output { get; } }"
        },
    };

    [Theory]
    [MemberData(nameof(Declarations))]
    public void GeneratorSupportsOrDiagnosesTheDeclaration(string declaration, string source)
    {
        GeneratorRun run = GeneratorHarness.Run("using TypedNets;\n\n" + source);

        Assert.False(string.IsNullOrEmpty(declaration));
        Expect.NoGeneratorException(run);
        Assert.DoesNotContain(run.GeneratorDiagnostics, diagnostic => diagnostic.Id == "TN0999");
        if (!run.GeneratorDiagnostics.Any(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error))
        {
            Expect.NothingInGeneratedCode(run);
        }
    }

    [Fact]
    public void BackwardWithoutAnInputGradientWorksWhenNoLayerMovesData()
    {
        // Backward documents an empty inputGradient as "skip it", and NetworkGuard.InputGradient accepts it; but for
        // a network of Flatten layers only, the emitted Backward is outputGradient.CopyTo(inputGradient), which
        // throws "Destination is too short" for an empty span.
        GeneratorRun run = GeneratorHarness.Run("""
            using TypedNets;

            namespace Zoo;

            [Network, Input(2, 3)]
            public partial class Reshape
            {
                [Flatten] public partial FlattenLayer Flat { get; }
            }

            public static class Probe
            {
                public static void Run()
                {
                    var network = new Reshape(maxBatch: 2);
                    network.Forward([1f, 2f, 3f, 4f, 5f, 6f], training: true);
                    network.Backward((System.ReadOnlySpan<float>)new float[6]);
                }
            }
            """);
        Expect.NoGeneratorDiagnostics(run);
        Expect.CompilesCleanly(run);

        using var assembly = new InMemoryAssembly(run.Output);
        Exception? thrown = Record.Exception(() => assembly.Type("Zoo.Probe").GetMethod("Run")!.Invoke(null, null));

        Assert.Null(thrown?.InnerException ?? thrown);
    }
}
