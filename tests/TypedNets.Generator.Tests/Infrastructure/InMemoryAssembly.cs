using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Xunit;

namespace TypedNets.Generator.Tests.Infrastructure;

/// <summary>
/// An updated compilation emitted in memory and loaded into a collectible context, so that a test can reflect on or
/// run generated code and leave nothing loaded. TypedNets' own assemblies resolve from the default context.
/// </summary>
internal sealed class InMemoryAssembly : IDisposable
{
    private readonly AssemblyLoadContext _context;

    public InMemoryAssembly(Compilation compilation)
    {
        using var image = new MemoryStream();
        EmitResult emitted = compilation.Emit(image);
        Assert.True(emitted.Success, DiagnosticRenderer.Render(emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));

        _context = new AssemblyLoadContext("GeneratedNetwork", isCollectible: true);
        image.Position = 0;
        Assembly = _context.LoadFromStream(image);
    }

    public Assembly Assembly { get; }

    public Type Type(string fullName) => Assembly.GetType(fullName, throwOnError: true)!;

    public void Dispose() => _context.Unload();
}
