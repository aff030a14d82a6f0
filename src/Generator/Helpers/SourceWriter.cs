using System;
using System.Text;

namespace TypedNets.Generator.Helpers;

/// <summary>Writes C# source with four-space indentation and '\n' line ends on every platform.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _text = new();
    private int _indentation;

    public void WriteLine(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indentation * 4);
            _text.Append(line);
        }

        _text.Append('\n');
    }

    /// <summary>Writes each line of a multi-line block at the current indentation.</summary>
    public void WriteBlock(string block)
    {
        foreach (string line in block.Replace("\r\n", "\n").Split('\n'))
        {
            WriteLine(line);
        }
    }

    public void OpenBrace()
    {
        WriteLine("{");
        _indentation++;
    }

    public void CloseBrace(string suffix = "")
    {
        _indentation--;
        WriteLine("}" + suffix);
    }

    /// <summary>Indents the following lines without writing a brace.</summary>
    public void OpenBraceless() => _indentation++;

    public void CloseBraceless() => _indentation--;

    public IDisposable Block(string header)
    {
        WriteLine(header);
        OpenBrace();
        return new Closer(this);
    }

    public override string ToString() => _text.ToString();

    private sealed class Closer(SourceWriter writer) : IDisposable
    {
        public void Dispose() => writer.CloseBrace();
    }
}
