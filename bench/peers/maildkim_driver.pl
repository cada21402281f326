#!/usr/bin/perl
# Mail::DKIM peer: verify every DKIM-Signature of each listed message.
#   maildkim_driver.pl ZONE LIST      LIST: lines "PATH<TAB>AS_OF_EPOCH"
# Keys come from the same zone file as authsweep's: Mail::DKIM::DNS::query is replaced by a
# look-up in that table (Net::DNS::RR TXT objects), so no resolver is involved. x=/t= are
# judged at each message's evaluation time. Prints: messages, signatures, passes.
use strict;
use warnings;
our $NOW;
BEGIN { *CORE::GLOBAL::time = sub { defined $main::NOW ? $main::NOW : CORE::time() }; }
use Mail::DKIM::Verifier;
use Mail::DKIM::DNS;
use Net::DNS::RR;

my ($zonefile, $list) = @ARGV;
my %zone;
open(my $z, '<', $zonefile) or die "$zonefile: $!";
while (my $l = <$z>) {
    next if $l =~ /^\s*($|;|\$)/;
    my ($name, $rest) = split(/\s+/, $l, 2);
    next unless $rest =~ /^IN TXT (.*)$/;
    my @s;
    my $r = $1;
    while ($r =~ /"((?:[^"\\]|\\.)*)"/g) { my $x = $1; $x =~ s/\\(.)/$1/g; push @s, $x; }
    $name = lc $name; $name =~ s/\.$//;
    $zone{$name} = [@s];
}
close $z;

{
    no warnings 'redefine';
    *Mail::DKIM::DNS::query = sub {
        my ($domain, $type) = @_;
        $domain = lc $domain; $domain =~ s/\.$//;
        my $s = $zone{$domain};
        if (!$s || uc($type) ne 'TXT') { $@ = 'NXDOMAIN'; return; }
        $@ = 'NOERROR';
        return (Net::DNS::RR->new(name => $domain, type => 'TXT', txtdata => [@$s]));
    };
}

my ($n_msg, $n_sig, $n_pass) = (0, 0, 0);
open(my $lf, '<', $list) or die "$list: $!";
while (my $l = <$lf>) {
    chomp $l;
    my ($path, $asof) = split(/\t/, $l);
    $main::NOW = $asof;
    open(my $f, '<:raw', $path) or die "$path: $!";
    local $/;
    my $msg = <$f>;
    close $f;
    $msg =~ s/\r?\n/\r\n/g;
    my $v = Mail::DKIM::Verifier->new();
    $v->PRINT($msg);
    $v->CLOSE();
    $n_msg++;
    foreach my $sig ($v->signatures) {
        $n_sig++;
        $n_pass++ if $sig->result eq 'pass';
    }
}
print "messages $n_msg signatures $n_sig pass $n_pass\n";
