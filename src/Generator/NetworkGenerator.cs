using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using TypedNets.Generator.Helpers;
using TypedNets.Generator.Model;

namespace TypedNets.Generator;

/// <summary>
/// Generates a typed network for every <c>[Network]</c> class: parse (symbols to a plain model) -> infer shapes ->
/// emit, with diagnostics on a branch of their own so that a change in them does not regenerate code.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class NetworkGenerator : IIncrementalGenerator
{
    private const string NetworkAttributeName = "TypedNets.NetworkAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<NetworkInfo> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                NetworkAttributeName,
                predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                transform: Parser.Transform)
            .WithTrackingName(TrackingNames.Networks);

        // Every block class gets its generated part once (its properties and the constructor networks call), whatever
        // the networks that use it; the networks expand it into their own layers.
        foreach (string blockAttribute in new[] { Blocks.BlockAttributeName, Blocks.SequentialAttributeName, Blocks.ResidualAttributeName })
        {
            IncrementalValuesProvider<BlockModel> blocks = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    blockAttribute,
                    predicate: static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                    transform: static (context, cancellationToken) => Blocks.Transform(context, cancellationToken))
                .Where(static block => block is not null)
                .Select(static (block, _) => block!)
                .WithTrackingName(TrackingNames.Blocks);
            context.RegisterSourceOutput(blocks, static (context, block) =>
            {
                string hint = string.Join(".", new[] { block.Namespace }.Concat(block.ContainingTypes.Select(Emitter.TypeName)).Concat([block.ClassName]).Where(part => part is not null));
                context.AddSource(hint + ".Block.g.cs", Blocks.Emit(block));
            });
        }

        // Base64 weights files among the additional files, each decoded and read once per change of its text (an
        // unchanged file keeps its AdditionalText and so its cached result); other additional files are never read.
        IncrementalValueProvider<EquatableArray<WeightsFile>> weightsFiles = context.AdditionalTextsProvider
            .Where(static text => EmbeddedWeights.IsCandidate(text))
            .Select(static (text, cancellationToken) => EmbeddedWeights.ReadFile(text, cancellationToken))
            .Collect()
            .Select(static (files, _) => files.ToEquatableArray())
            .WithTrackingName(TrackingNames.WeightsFiles);

        // A network without [EmbeddedWeights] passes through unchanged (and so stays cached when a weights file changes).
        IncrementalValuesProvider<NetworkInfo> networks = parsed
            .Combine(weightsFiles)
            .Select(static (pair, _) => EmbeddedWeights.Apply(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.EmbeddedWeights);

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = networks
            .Select(static (info, _) => info.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);

        context.RegisterSourceOutput(diagnostics, static (context, diagnostics) =>
        {
            foreach (DiagnosticInfo diagnostic in diagnostics)
            {
                context.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
        });

        IncrementalValuesProvider<NetworkModel> models = networks
            .Select(static (info, _) => info.Model)
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(TrackingNames.Models);

        // Hint names must differ ignoring case, so networks whose names differ only in case need telling apart.
        IncrementalValueProvider<EquatableArray<string>> hintNames = models
            .Select(static (model, _) => Emitter.HintName(model))
            .Collect()
            .Select(static (names, _) => names.ToEquatableArray());

        context.RegisterSourceOutput(models.Combine(hintNames), static (context, pair) =>
        {
            (NetworkModel model, EquatableArray<string> allHintNames) = pair;
            string source;
            try
            {
                source = Emitter.Emit(model);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                context.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.InternalError,
                    Location.None,
                    model.DisplayName,
                    $"{exception.GetType().Name}: {exception.Message}"));
                return;
            }

            context.AddSource(Emitter.UniqueHintName(Emitter.HintName(model), allHintNames), source);
        });
    }
}
