#!/usr/bin/env bash
# seed_corpus.sh OUT_DIR: writes the fuzz targets' seed corpus into OUT_DIR, made at run time from
# what the tree already has (nothing is copied into tests/fuzz): every scenario under scenarios/ and
# examples/, and the scenario text the unit and integration tests write inline -- brace lists of
# string literals (the tests' lines({...}) and steps({...}), joined by newlines) and raw strings.
set -euo pipefail
out=$1
root="$(cd "$(dirname "$0")/../.." && pwd)"
mkdir -p "$out"
find "$root/scenarios" "$root/examples" -name '*.yaml' -print0 |
  while IFS= read -r -d '' f; do cp "$f" "$out/file-$(basename "$f")"; done
# perl-base is part of every Debian system.
find "$root/tests/unit" "$root/tests/integration" -name '*.cpp' -print0 | xargs -0 perl -0777 -e '
  my ($out) = shift @ARGV;
  my $n = 0;
  my %seen;
  sub unescape { my $s = shift; $s =~ s/\\(["\\nt])/$1 eq "n" ? "\n" : $1 eq "t" ? "\t" : $1/ge; return $s; }
  sub keep {
    my ($text, $file) = @_;
    return unless $text =~ /:/ && !$seen{$text}++;
    $file =~ s{.*/}{}; $file =~ s{\.cpp$}{};
    open(my $fh, ">", sprintf("%s/test-%s-%03d.yaml", $out, $file, ++$n)) or die "$out: $!";
    print $fh $text;
    close $fh;
  }
  for my $file (@ARGV) {
    open(my $in, "<", $file) or die "$file: $!";
    my $src = <$in>;
    while ($src =~ /R"(\w*)\((.*?)\)\1"/sg) { keep($2, $file); }
    my $lit = qr/"(?:[^"\\\n]|\\.)*"/;
    while ($src =~ /\{\s*((?:$lit\s*(?:,|\/\/[^\n]*|\s)*){2,})\}/sg) {
      my $list = $1;
      my @items;
      while ($list =~ /"((?:[^"\\\n]|\\.)*)"/g) { push @items, unescape($1); }
      keep(join("\n", @items) . "\n", $file);
    }
  }
' "$out"
