// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Metadata} from "@openzeppelin/contracts/token/ERC721/extensions/IERC721Metadata.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IInvoiceToken} from "./interfaces/IInvoiceToken.sol";
import {IKycRegistry} from "./interfaces/IKycRegistry.sol";

/// @title InvoiceToken
/// @notice The on-chain record of each financed GST invoice, and the one place its status changes.
/// @dev A lean ERC-721 rather than OpenZeppelin's: holders cannot move invoices (custody follows the status machine,
///      see IInvoiceToken), so `ownerOf` is derived from the status (the seller, or the escrow while it has custody)
///      instead of stored. That saves a fresh storage slot on every mint. Interfaces, errors and events are
///      OpenZeppelin's IERC721 / IERC721Metadata / IERC721Errors.
contract InvoiceToken is IInvoiceToken, IERC721Metadata, IERC721Errors, AccessControl, Pausable {
    using Strings for uint256;

    /// @inheritdoc IInvoiceToken
    bytes32 public constant MODULE_ROLE = keccak256("MODULE_ROLE");
    /// @inheritdoc IInvoiceToken
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    uint8 private constant _SME = 1;

    /// @dev Allowed (from, to) edges of the status machine, bit `from * 16 + to`.
    uint256 private constant _EDGES = (1 << (uint256(Status.Minted) * 16 + uint256(Status.Verified)))
        | (1 << (uint256(Status.Minted) * 16 + uint256(Status.Rejected)))
        | (1 << (uint256(Status.Verified) * 16 + uint256(Status.Listed)))
        | (1 << (uint256(Status.Listed) * 16 + uint256(Status.Funded)))
        | (1 << (uint256(Status.Listed) * 16 + uint256(Status.Cancelled)))
        | (1 << (uint256(Status.Funded) * 16 + uint256(Status.Repaid)))
        | (1 << (uint256(Status.Funded) * 16 + uint256(Status.Defaulted)));

    IKycRegistry public immutable kyc;
    /// @notice FundingEscrow: the holder of every Listed, Funded, Repaid or Defaulted invoice.
    address public immutable escrow;

    /// @dev Declared first so that it shares a slot with Pausable's `_paused` flag: `mint` then reads both with one
    ///      cold SLOAD. It starts at 1 (never zero), so every mint writes a non-zero slot, and id 0 means "none".
    uint64 private _nextId = 1;
    /// @dev Five slots per invoice: three hashes, (seller, issueDate, status, riskScore, checks), (faceValue, dueDate).
    ///      The document CID is emitted in `InvoiceMinted`, never stored.
    mapping(uint256 invoiceId => Invoice) private _invoices;
    mapping(bytes32 invoiceKey => uint256 invoiceId) private _idByKey;
    mapping(address owner => uint256) private _balances;

    constructor(address admin, IKycRegistry kycRegistry, address fundingEscrow) {
        require(fundingEscrow != address(0) && address(kycRegistry) != address(0), ZeroAddress());
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        kyc = kycRegistry;
        escrow = fundingEscrow;
    }

    /// @inheritdoc IInvoiceToken
    function mint(MintRequest calldata r) external whenNotPaused returns (uint256 invoiceId) {
        require(kyc.isAllowed(msg.sender, _SME), NotKycApproved(msg.sender, _SME));
        require(r.invoiceKey != bytes32(0), EmptyInvoiceKey());
        require(r.faceValue != 0, ZeroFaceValue());
        require(r.dueDate > block.timestamp, DueDateNotInFuture(r.dueDate, block.timestamp));
        require(r.issueDate <= r.dueDate, IssueDateAfterDueDate(r.issueDate, r.dueDate));
        require(r.docDigest != bytes32(0), EmptyDocDigest());
        uint256 existing = _idByKey[r.invoiceKey];
        require(existing == 0, DuplicateInvoice(r.invoiceKey, existing));

        invoiceId = _nextId;
        // unchecked: a uint64 counter incremented once per mint cannot realistically reach 2^64.
        unchecked {
            _nextId = uint64(invoiceId + 1);
        }
        _invoices[invoiceId] = Invoice({
            invoiceKey: r.invoiceKey,
            buyerId: r.buyerId,
            docDigest: r.docDigest,
            seller: msg.sender,
            issueDate: r.issueDate,
            status: Status.Minted,
            riskScore: 0,
            checks: 0,
            faceValue: r.faceValue,
            dueDate: r.dueDate
        });
        _idByKey[r.invoiceKey] = invoiceId;
        // unchecked: one increment per mint. No receiver hook: the seller is the caller.
        unchecked {
            ++_balances[msg.sender];
        }
        emit Transfer(address(0), msg.sender, invoiceId);
        emit InvoiceMinted(
            invoiceId, msg.sender, r.invoiceKey, r.buyerId, r.faceValue, r.issueDate, r.dueDate, r.docDigest, r.docCid
        );
    }

    /// @inheritdoc IInvoiceToken
    function burn(uint256 invoiceId) external whenNotPaused {
        Invoice storage inv = _invoices[invoiceId];
        Status status = inv.status;
        require(status != Status.None, InvoiceNotFound(invoiceId));
        require(inv.seller == msg.sender, NotSeller(invoiceId, msg.sender));
        // Cancelled too: the NFT is back with the seller, and burning frees the key so an invoice whose listing
        // went unfilled can be financed again. Refunds are unaffected: the escrow keeps the listing and shares.
        require(
            status == Status.Minted || status == Status.Verified || status == Status.Rejected
                || status == Status.Cancelled,
            NotBurnable(invoiceId, status)
        );
        delete _idByKey[inv.invoiceKey];
        delete _invoices[invoiceId];
        // unchecked: the seller holds this token, so its balance is at least 1.
        unchecked {
            --_balances[msg.sender];
        }
        emit Transfer(msg.sender, address(0), invoiceId);
        emit InvoiceStatusChanged(invoiceId, status, Status.None);
    }

    /// @inheritdoc IInvoiceToken
    function transition(uint256 invoiceId, Status to) external onlyRole(MODULE_ROLE) {
        Invoice storage inv = _invoices[invoiceId];
        Status from = inv.status;
        // Verified and Rejected carry a report; they only come through recordVerification.
        require(
            to != Status.Verified && to != Status.Rejected && _EDGES & (1 << (uint256(from) * 16 + uint256(to))) != 0,
            InvalidTransition(invoiceId, from, to)
        );
        inv.status = to;
        emit InvoiceStatusChanged(invoiceId, from, to);
        // Custody follows the status: into the escrow on listing, back to the seller on cancel.
        if (to == Status.Listed) {
            _moveCustody(inv.seller, escrow, invoiceId);
        } else if (to == Status.Cancelled) {
            _moveCustody(escrow, inv.seller, invoiceId);
        }
    }

    /// @inheritdoc IInvoiceToken
    function recordVerification(uint256 invoiceId, bool approved, uint8 riskScore, uint16 checks, bytes32 reportId)
        external
        onlyRole(MODULE_ROLE)
    {
        require(riskScore <= 100, InvalidRiskScore(riskScore));
        require(checks < 1 << 6, InvalidChecks(checks)); // bits 0-5 are defined (IOracleHub); others are invalid
        Invoice storage inv = _invoices[invoiceId];
        Status from = inv.status;
        Status to = approved ? Status.Verified : Status.Rejected;
        require(from == Status.Minted, InvalidTransition(invoiceId, from, to));
        inv.status = to;
        inv.riskScore = riskScore;
        inv.checks = checks;
        emit InvoiceStatusChanged(invoiceId, from, to);
        if (approved) {
            emit InvoiceVerified(invoiceId, riskScore, checks, reportId);
        } else {
            emit InvoiceRejected(invoiceId, checks, reportId);
        }
    }

    /// @inheritdoc IInvoiceToken
    function invoiceOf(uint256 invoiceId) external view returns (Invoice memory inv) {
        inv = _invoices[invoiceId];
        require(inv.status != Status.None, InvoiceNotFound(invoiceId));
    }

    /// @inheritdoc IInvoiceToken
    function statusOf(uint256 invoiceId) external view returns (Status) {
        return _invoices[invoiceId].status;
    }

    /// @inheritdoc IInvoiceToken
    function idByKey(bytes32 invoiceKey) external view returns (uint256) {
        return _idByKey[invoiceKey];
    }

    /// @inheritdoc IInvoiceToken
    function nextInvoiceId() external view returns (uint256) {
        return _nextId;
    }

    /// @notice An on-chain JSON data URI with the invoice's non-sensitive attributes. The document itself is linked
    ///         by its digest; its CID is in `InvoiceMinted` (storing it would cost two fresh slots per mint).
    function tokenURI(uint256 invoiceId) external view returns (string memory) {
        Invoice memory inv = _invoices[invoiceId];
        require(inv.status != Status.None, InvoiceNotFound(invoiceId));
        string memory attributes = string.concat(
            _attr("status", string.concat('"', _statusName(inv.status), '"')),
            _attr("faceValue", uint256(inv.faceValue).toString()),
            _attr("issueDate", uint256(inv.issueDate).toString()),
            _attr("dueDate", uint256(inv.dueDate).toString()),
            _attr("riskScore", uint256(inv.riskScore).toString()),
            _attr("checks", uint256(inv.checks).toString())
        );
        string memory json = string.concat(
            '{"name":"Hundi Invoice #',
            invoiceId.toString(),
            '","description":"A GST invoice financed on Hundi.","attributes":[',
            attributes,
            '{"trait_type":"docDigest","value":"',
            uint256(inv.docDigest).toHexString(32),
            '"}],"seller":"',
            Strings.toHexString(inv.seller),
            '"}'
        );
        return string.concat("data:application/json;base64,", Base64.encode(bytes(json)));
    }

    // ---------------------------------------------------------------- ERC-721

    function name() external pure returns (string memory) {
        return "Hundi Invoice";
    }

    function symbol() external pure returns (string memory) {
        return "HINV";
    }

    function balanceOf(address owner) external view returns (uint256) {
        require(owner != address(0), ERC721InvalidOwner(address(0)));
        return _balances[owner];
    }

    /// @notice The seller while Minted, Verified, Rejected or Cancelled; the escrow while Listed, Funded, Repaid or
    ///         Defaulted.
    function ownerOf(uint256 tokenId) public view returns (address) {
        Invoice storage inv = _invoices[tokenId];
        Status status = inv.status;
        require(status != Status.None, ERC721NonexistentToken(tokenId));
        return _inEscrow(status) ? escrow : inv.seller;
    }

    /// @notice Invoices cannot be approved or transferred by holders (see IInvoiceToken); always reverts.
    function approve(address, uint256 tokenId) external pure {
        revert TransferRestricted(tokenId);
    }

    /// @notice Always reverts: see `approve`.
    function setApprovalForAll(address, bool) external pure {
        revert TransferRestricted(0);
    }

    function getApproved(uint256 tokenId) external view returns (address) {
        ownerOf(tokenId);
        return address(0);
    }

    function isApprovedForAll(address, address) external pure returns (bool) {
        return false;
    }

    /// @notice Always reverts: custody follows the status machine.
    function transferFrom(address, address, uint256 tokenId) external pure {
        revert TransferRestricted(tokenId);
    }

    /// @notice Always reverts: custody follows the status machine.
    function safeTransferFrom(address, address, uint256 tokenId) external pure {
        revert TransferRestricted(tokenId);
    }

    /// @notice Always reverts: custody follows the status machine.
    function safeTransferFrom(address, address, uint256 tokenId, bytes calldata) external pure {
        revert TransferRestricted(tokenId);
    }

    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, IERC165) returns (bool) {
        return interfaceId == type(IERC721).interfaceId || interfaceId == type(IERC721Metadata).interfaceId
            || super.supportsInterface(interfaceId);
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    function _inEscrow(Status s) private pure returns (bool) {
        return s == Status.Listed || s == Status.Funded || s == Status.Repaid || s == Status.Defaulted;
    }

    function _moveCustody(address from, address to, uint256 invoiceId) private {
        // unchecked: `from` holds this token, so its balance is at least 1; `to` gains one of a finite supply.
        unchecked {
            --_balances[from];
            ++_balances[to];
        }
        emit Transfer(from, to, invoiceId);
    }

    /// @dev One JSON attribute; `value` is already JSON (quoted when it is a string).
    function _attr(string memory traitType, string memory value) private pure returns (string memory) {
        return string.concat('{"trait_type":"', traitType, '","value":', value, "},");
    }

    function _statusName(Status s) private pure returns (string memory) {
        string[9] memory names =
            ["None", "Minted", "Verified", "Rejected", "Listed", "Funded", "Repaid", "Defaulted", "Cancelled"];
        return names[uint256(s)];
    }
}
