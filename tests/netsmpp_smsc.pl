#!/usr/bin/perl
# netsmpp_smsc.pl: an SMSC that nobody on this project wrote: Perl's Net::SMPP (Debian
# package libnet-smpp-perl) in the SMSC role, for the interop test. It accepts one
# transceiver bind, plays the MOs given with --mo one after another (each after the
# previous one's deliver_sm_resp and reply), answers submit_sm with message ids and
# enquire_link and unbind, and prints one line per event on stdout:
#   LISTEN port | BIND system_id password | MO_RESP n 0xstatus | MESSAGE source dest text
#   | ENQUIRE_LINK | DONE | UNBIND
# Usage: netsmpp_smsc.pl [--timeout S] --mo SOURCE,DEST,TEXT [--mo ...]
use strict;
use warnings;
use Encode qw(decode encode);
use Getopt::Long;
use IO::Select;
use Net::SMPP;

$| = 1;
binmode STDOUT, ':encoding(UTF-8)';
my @mos;
my $timeout = 60;
GetOptions('mo=s' => \@mos, 'timeout=i' => \$timeout)
    or die "usage: $0 [--timeout S] --mo SOURCE,DEST,TEXT ...\n";
@mos = map { [split /,/, decode('UTF-8', $_), 3] } @mos;

my $listen = Net::SMPP->new_listen('127.0.0.1', port => 0, smpp_version => 0x34,
                                   source_addr_ton => 0, source_addr_npi => 0,
                                   dest_addr_ton => 0, dest_addr_npi => 0)
    or die "netsmpp_smsc: listen: $!\n";
print "LISTEN ", $listen->sockport, "\n";

my $c;
my $sel = IO::Select->new($listen);
die "netsmpp_smsc: no client within ${timeout}s\n" unless $sel->can_read($timeout);
$c = $listen->accept or die "netsmpp_smsc: accept: $!\n";
close $listen;
$sel = IO::Select->new($c);

my $next = 0;        # index of the next MO to send
my %pending;         # deliver_sm seq -> MO index
my ($resp_seen, $reply_seen) = (1, 1);
my $msgid = 1000;
my $deadline = time + $timeout;

sub send_next_mo {
    return if $next >= @mos;
    my ($src, $dst, $text) = @{$mos[$next]};
    my ($dcs, $bytes) = $text =~ /^[\x20-\x7e]*$/ ? (0, $text) : (8, encode('UTF-16BE', $text));
    my $seq = $c->deliver_sm(source_addr => $src, destination_addr => $dst, data_coding => $dcs,
                             short_message => $bytes, async => 1);
    $pending{$seq} = $next++;
    ($resp_seen, $reply_seen) = (0, 0);
}

sub text_of {
    my ($pdu) = @_;
    my $sm = $pdu->{short_message} // '';
    $sm = substr($sm, 1 + ord(substr($sm, 0, 1))) if ($pdu->{esm_class} // 0) & 0x40;
    return ($pdu->{data_coding} // 0) == 8 ? decode('UTF-16BE', $sm) : $sm;
}

while (time < $deadline) {
    next unless $sel->can_read(1);
    my $pdu = $c->read_pdu() or do { print "DISCONNECT\n"; exit 1 };
    my $cmd = $pdu->{cmd};
    if ($cmd == 0x00000009) {
        print "BIND $pdu->{system_id} $pdu->{password}\n";
        $c->bind_transceiver_resp(system_id => 'netsmpp', seq => $pdu->{seq});
        send_next_mo();
    } elsif ($cmd == 0x80000005) {
        my $n = delete $pending{$pdu->{seq}};
        printf "MO_RESP %d 0x%02x\n", $n // -1, $pdu->{status};
        if ($pdu->{status} != 0 && defined $n) {
            # A temporary error: deliver the same MO again a moment later, as an SMSC does.
            sleep 1;
            $next = $n;
            send_next_mo();
            next;
        }
        $resp_seen = 1;
    } elsif ($cmd == 0x00000004) {
        $c->submit_sm_resp(message_id => $msgid++, seq => $pdu->{seq});
        print "MESSAGE $pdu->{source_addr} $pdu->{destination_addr} ", text_of($pdu), "\n";
        $reply_seen = 1;
    } elsif ($cmd == 0x00000015) {
        $c->enquire_link_resp(seq => $pdu->{seq});
        print "ENQUIRE_LINK\n";
    } elsif ($cmd == 0x00000006) {
        $c->unbind_resp(seq => $pdu->{seq});
        print "UNBIND\n";
        exit 0;
    } elsif ($cmd & 0x80000000) {
        next;
    } else {
        $c->generic_nack(seq => $pdu->{seq}, status => 0x03);
    }
    if ($resp_seen && $reply_seen) {
        if ($next < @mos) { send_next_mo(); }
        elsif ($next == @mos) { print "DONE\n"; $next++; }
    }
}
print "TIMEOUT\n";
exit 1;
